# hisbridge 离线安装 / offline install (Windows Server, x86_64)
#
#   powershell -ExecutionPolicy Bypass -File .\install.ps1 [-Venv C:\hisbridge\venv] [-Python 3.11]
#
# Checks SHA256SUMS, creates the virtual environment with the py launcher's Python 3.12 or 3.11
# (python.org's installer) and installs from wheels\ only: no index is ever asked (pip's own
# configuration and PIP_* variables are ignored). Run again with a newer bundle to upgrade.
param(
    [string]$Venv = "C:\hisbridge\venv",
    [string]$Python = ""
)
$ErrorActionPreference = "Stop"
$Here = Split-Path -Parent $MyInvocation.MyCommand.Path

foreach ($line in Get-Content (Join-Path $Here "SHA256SUMS")) {
    $expected, $name = $line -split "  ", 2
    $actual = (Get-FileHash -Algorithm SHA256 (Join-Path $Here $name)).Hash.ToLower()
    if ($actual -ne $expected) {
        throw "校验失败 / SHA256SUMS check failed: $name (the bundle is damaged or altered)"
    }
}

$candidates = if ($Python) { @($Python) } else { @("3.12", "3.11") }
$Version = $null
foreach ($candidate in $candidates) {
    $lock = Join-Path $Here "requirements\win-amd64-py$candidate.txt"
    if (-not (Test-Path $lock)) { continue }
    $ErrorActionPreference = "Continue"  # a missing version writes to stderr: not an error here
    & py "-$candidate" -c "import sys" 2>$null
    $found = $LASTEXITCODE -eq 0
    $ErrorActionPreference = "Stop"
    if ($found) { $Version = $candidate; break }
}
if (-not $Version) {
    throw "未找到 Python 3.11/3.12（py 启动器）或本离线包不含它 / no Python 3.11/3.12 (py launcher) that this bundle has wheels for: install python.org's 3.11 or 3.12 (x86_64)"
}

# only the bundle: no configuration file, no PIP_* variable, no index
Get-ChildItem Env: | Where-Object { $_.Name -like "PIP_*" } | ForEach-Object { Remove-Item "Env:$($_.Name)" }
$env:PIP_CONFIG_FILE = "nul"
$env:PIP_NO_INDEX = "1"
$env:PIP_DISABLE_PIP_VERSION_CHECK = "1"

Write-Host "Python $Version -> $Venv"
if (-not (Test-Path "$Venv\Scripts\python.exe")) {
    & py "-$Version" -m venv $Venv
    if ($LASTEXITCODE -ne 0) { throw "创建虚拟环境失败 / creating the virtual environment failed" }
}
& "$Venv\Scripts\python.exe" -m pip install --no-index --find-links (Join-Path $Here "wheels") -r (Join-Path $Here "requirements\win-amd64-py$Version.txt")
if ($LASTEXITCODE -ne 0) { throw "安装失败 / pip install failed" }

Write-Host @"

已安装 / installed in $Venv
下一步 / next steps (docs/deploy.md, Windows Server):
  $Venv\Scripts\hisbridge init C:\hisbridge\config --his-url "mssql+pyodbc://his_ro:...@HIS" --store-url "sqlite:///C:/hisbridge/data/hisbridge.db"
  $Venv\Scripts\hisbridge check -c C:\hisbridge\config\hisbridge.yaml
  $Venv\Scripts\hisbridge service windows --base-dir C:\hisbridge --out C:\hisbridge\hisbridge-service.xml
升级 / upgrading: C:\hisbridge\hisbridge-service.exe stop; .\install.ps1 -Venv $Venv (新离线包 the new bundle);
  $Venv\Scripts\hisbridge upgrade -c C:\hisbridge\config\hisbridge.yaml; C:\hisbridge\hisbridge-service.exe start
"@
