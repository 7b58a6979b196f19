"""scripts/bundle.py names each package that has no wheel for a platform, and fails the build
unless --allow-missing; the install scripts look up the requirement files the build writes."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bundle() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bundle_script", ROOT / "scripts" / "bundle.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _wheel(folder: Path, name: str, tag: str) -> None:
    info = f"{name}-1.0.dist-info"
    with zipfile.ZipFile(folder / f"{name}-1.0-{tag}.whl", "w") as whl:
        whl.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        whl.writestr(f"{info}/WHEEL", f"Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: {tag}\n")
        whl.writestr(f"{info}/RECORD", "")


def _sdist(folder: Path, name: str) -> None:
    with tarfile.open(folder / f"{name}-1.0.tar.gz", "w:gz"):
        pass


def test_a_package_without_a_wheel_is_named_with_its_platform(bundle: ModuleType, tmp_path: Path) -> None:
    index = tmp_path / "index"
    index.mkdir()
    _wheel(index, "purewheel", "py3-none-any")
    _wheel(index, "linuxonly", "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64")
    _sdist(index, "sourceonly")
    pins = ["purewheel==1.0", "linuxonly==1.0", "sourceonly==1.0"]
    local = ["--no-index", "--find-links", str(index)]

    on_windows = bundle.fetch(pins, "win-amd64", "3.12", tmp_path / "win", local)
    on_linux = bundle.fetch(pins, "linux-x86_64", "3.12", tmp_path / "linux", local)

    assert [str(m) for m in on_windows] == [
        "linuxonly==1.0: 无 win-amd64-py3.12 的 wheel / no wheel for win-amd64-py3.12",
        "sourceonly==1.0: 无 win-amd64-py3.12 的 wheel / no wheel for win-amd64-py3.12",
    ]
    assert [m.pin for m in on_linux] == ["sourceonly==1.0"]
    assert sorted(p.name for p in (tmp_path / "linux").iterdir()) == [
        "linuxonly-1.0-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl",
        "purewheel-1.0-py3-none-any.whl",
    ]


def test_a_lock_the_wheels_do_not_complete_is_caught(bundle: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "wheels").mkdir()
    (tmp_path / "requirements").mkdir()
    _wheel(tmp_path / "wheels", "purewheel", "py3-none-any")
    lockfile = tmp_path / "requirements" / "linux-aarch64-py3.12.txt"
    lockfile.write_text("purewheel==1.0\n")
    bundle.check_offline(tmp_path, "linux-aarch64", "3.12")

    lockfile.write_text("purewheel==1.0\nlinuxonly==1.0\n")
    with pytest.raises(bundle.BundleError, match=r"(?s)linux-aarch64-py3\.12: .*linuxonly==1\.0"):
        bundle.check_offline(tmp_path, "linux-aarch64", "3.12")


def test_missing_wheels_fail_the_build_unless_allowed(
    bundle: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fake_wheel(dest: Path) -> Path:
        wheel = dest / "hisbridge-9.9-py3-none-any.whl"
        wheel.write_bytes(b"wheel")
        return wheel

    gap = bundle.Missing("uvloop==0.23.0", "win-amd64-py3.12")
    monkeypatch.setattr(bundle, "build_wheel", fake_wheel)
    monkeypatch.setattr(bundle, "lock_and_fetch", lambda *a: (["orjson==3.13.0"], [gap]))

    with pytest.raises(bundle.BundleError, match=r"uvloop==0\.23\.0: .*no wheel for win-amd64-py3\.12"):
        bundle.build(tmp_path / "refused", ["win-amd64"], ["3.12"], [])
    out = tmp_path / "allowed"
    assert bundle.build(out, ["win-amd64"], ["3.12"], ["oracle"], allow_missing=True) == [gap]

    pins = (out / "requirements" / "win-amd64-py3.12.txt").read_text().split()
    assert pins == ["orjson==3.13.0", "hisbridge[oracle]==9.9"]
    checked = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=out, capture_output=True)
    assert checked.returncode == 0, checked.stdout
    assert "hisbridge[oracle]==9.9" in (out / "README.txt").read_text(encoding="utf-8-sig")
    # Windows PowerShell 5.1 reads a script without a BOM in the ANSI code page: the Chinese would break
    assert (out / "install.ps1").read_bytes().startswith(b"\xef\xbb\xbf")
    assert (out / "README.txt").read_bytes().startswith(b"\xef\xbb\xbf")


def test_an_existing_folder_that_is_not_a_bundle_is_left_alone(bundle: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    with pytest.raises(bundle.BundleError, match="neither empty nor a bundle"):
        bundle.build(tmp_path, ["linux-x86_64"], ["3.11"], [])
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_the_install_scripts_look_up_the_files_the_build_writes(bundle: ModuleType) -> None:
    shell = (ROOT / "scripts" / "offline" / "install.sh").read_text()
    powershell = (ROOT / "scripts" / "offline" / "install.ps1").read_text()
    assert set(bundle.PLATFORMS) == {"linux-x86_64", "linux-aarch64", "win-amd64"}
    assert bundle.combo_name("linux-aarch64", "3.11") == "linux-aarch64-py3.11"
    assert 'requirements/linux-$ARCH-py$PYVER.txt' in shell
    assert "requirements\\win-amd64-py$Version.txt" in powershell
    for script in (shell, powershell):
        assert "--no-index" in script and "SHA256SUMS" in script and "PIP_CONFIG_FILE" in script


def _small_bundle(bundle: ModuleType, folder: Path, combo: str) -> Path:
    folder.mkdir()
    (folder / "wheels").mkdir()
    (folder / "requirements").mkdir()
    (folder / "wheels" / "x-1.0-py3-none-any.whl").write_bytes(b"wheel")
    (folder / "requirements" / f"{combo}.txt").write_text("x==1.0\n")
    (folder / "install.sh").write_text((ROOT / "scripts" / "offline" / "install.sh").read_text())
    (folder / "SHA256SUMS").write_text(bundle.sha256sums(folder))
    return folder


def _run_install(folder: Path, venv: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["sh", str(folder / "install.sh"), str(venv)], capture_output=True, text=True,
                          timeout=60, env={"PATH": "/usr/bin:/bin", "PYTHON": sys.executable})


def test_install_sh_refuses_an_altered_bundle(bundle: ModuleType, tmp_path: Path) -> None:
    folder = _small_bundle(bundle, tmp_path / "b", "linux-x86_64-py3.11")
    (folder / "wheels" / "x-1.0-py3-none-any.whl").write_bytes(b"tampered")
    done = _run_install(folder, tmp_path / "venv")
    assert done.returncode == 1 and "SHA256SUMS check failed" in done.stderr
    assert not (tmp_path / "venv").exists()


def test_install_sh_says_which_wheels_the_bundle_lacks(bundle: ModuleType, tmp_path: Path) -> None:
    folder = _small_bundle(bundle, tmp_path / "b", "linux-x86_64-py3.99")
    done = _run_install(folder, tmp_path / "venv")
    assert done.returncode == 1, done.stderr
    assert "no wheels for linux-" in done.stderr and "Python 3." in done.stderr
    assert not (tmp_path / "venv").exists()
