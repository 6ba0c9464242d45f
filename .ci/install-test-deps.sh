#!/usr/bin/env bash
# Installs what the tests need beyond Java and Maven: Debian's headless Chromium and its ChromeDriver, used by the
# dashboard's real-browser test (cli/src/test/.../DemoCommandTest). Does nothing when both are present.
# Needs root (or sudo) and Debian's package repositories. `.ci/run` calls it before the test command.
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then
  echo "install-test-deps: chromium and chromedriver already present" >&2
  exit 0
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
echo "install-test-deps: installing chromium and chromium-driver from Debian's packages" >&2
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends chromium chromium-driver
command -v chromium >/dev/null && command -v chromedriver >/dev/null
