#!/bin/sh
# hisbridge 离线安装 / offline install (Linux x86_64 and aarch64: Kylin, UOS, RHEL family, Debian family)
#
#   ./install.sh [VENV]          default VENV: /opt/hisbridge/venv
#   PYTHON=/opt/python3.11/bin/python3.11 ./install.sh
#
# Checks SHA256SUMS, creates the virtual environment with the system's Python 3.11 or 3.12 (or
# $PYTHON) and installs from wheels/ only: no index is ever asked (pip's own configuration and
# PIP_* variables are ignored). Run again with a newer bundle to upgrade the same VENV.
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
VENV=${1:-/opt/hisbridge/venv}
say() { printf '%s\n' "$*" >&2; }

case $(uname -m) in
  x86_64|amd64) ARCH=x86_64 ;;
  aarch64|arm64) ARCH=aarch64 ;;
  *) say "不支持的架构 / unsupported machine: $(uname -m) (x86_64, aarch64)"; exit 1 ;;
esac

if command -v sha256sum >/dev/null 2>&1; then
  (cd "$HERE" && sha256sum -c --quiet SHA256SUMS) || {
    say "校验失败：离线包已损坏或被改动 / SHA256SUMS check failed: the bundle is damaged or altered"; exit 1; }
else
  say "未找到 sha256sum，跳过校验 / sha256sum not found: the check is skipped"
fi

version_of() { "$1" -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null; }
# upgrading: the existing environment's Python decides which wheels fit
[ -z "${PYTHON:-}" ] && [ -x "$VENV/bin/python" ] && PYTHON="$VENV/bin/python"
if [ -z "${PYTHON:-}" ]; then
  for candidate in python3.12 python3.11 python3; do
    command -v "$candidate" >/dev/null 2>&1 || continue
    [ -f "$HERE/requirements/linux-$ARCH-py$(version_of "$candidate").txt" ] && { PYTHON=$candidate; break; }
  done
fi
if [ -z "${PYTHON:-}" ]; then
  say "未找到 Python 3.11/3.12（或本离线包不含它）；可用 PYTHON=/path/to/python3.11 指定"
  say "no Python 3.11/3.12 found that this bundle has wheels for; set PYTHON=/path/to/python3.11"
  say "离线包内 / in the bundle: $(ls "$HERE/requirements" | tr '\n' ' ')"
  exit 1
fi
PYVER=$(version_of "$PYTHON")
LOCK="$HERE/requirements/linux-$ARCH-py$PYVER.txt"
[ -f "$LOCK" ] || { say "本离线包没有 linux-$ARCH Python $PYVER 的 wheel / no wheels for linux-$ARCH Python $PYVER"; exit 1; }

# only the bundle: no configuration file, no PIP_* variable, no index
for var in $(env | sed -n 's/^\(PIP_[A-Za-z0-9_]*\)=.*/\1/p'); do unset "$var"; done
export PIP_CONFIG_FILE=/dev/null PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1

say "Python $PYVER ($PYTHON) -> $VENV"
[ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV" || {
  say "创建虚拟环境失败（Debian/UOS 需要 python3-venv 软件包）/ venv failed (Debian/UOS: install python3-venv)"; exit 1; }
"$VENV/bin/python" -m pip install --no-index --find-links "$HERE/wheels" -r "$LOCK"
"$VENV/bin/hisbridge" --help >/dev/null

cat <<NEXT

已安装 / installed: $("$VENV/bin/python" -m pip show hisbridge | sed -n 's/^Version: //p') in $VENV
下一步 / next steps (docs/deploy.md):
  $VENV/bin/hisbridge init /etc/hisbridge --his-url 'postgresql+psycopg://his_ro@HIS-HOST/his' \\
      --store-url sqlite:////var/lib/hisbridge/hisbridge.db
  sudo -u hisbridge $VENV/bin/hisbridge check -c /etc/hisbridge/hisbridge.yaml
  $VENV/bin/hisbridge service systemd --exec $VENV/bin/hisbridge --out /etc/systemd/system/hisbridge.service
  systemctl daemon-reload && systemctl enable --now hisbridge
升级 / upgrading: systemctl stop hisbridge; ./install.sh $VENV (新离线包 the new bundle);
  sudo -u hisbridge $VENV/bin/hisbridge upgrade -c /etc/hisbridge/hisbridge.yaml; systemctl start hisbridge
NEXT
