#!/usr/bin/env bash
# Publishes pins (the command line) self-contained for one runtime, so a host can drive other
# hosts without a .NET installation.
#
#   ops/publish-cli.sh --output DIR [--rid RID]
#
#   --output DIR  where pins and its runtime go. It may be the directory the daemon was published
#                 into (same SDK and runtime identifier): the files they share are the same .NET
#                 runtime, so one copy serves both (the .deb: /usr/lib/pinsdaemon/pins, with a
#                 /usr/bin/pins symlink).
#   --rid RID     linux-arm64, linux-x64, ... (default: this machine's)
#
# As a dotnet tool instead: dotnet pack src/PinsDaemon.Cli -c Release -o DIR, then
# dotnet tool install --global --add-source DIR PinsDaemon.Cli
set -euo pipefail

die() { echo "publish-cli.sh: $*" >&2; exit 1; }

OUTPUT=
RID=
while [[ $# -gt 0 ]]; do
    case $1 in
        --output) OUTPUT=${2:?--output needs a directory}; shift 2 ;;
        --rid) RID=${2:?--rid needs a runtime identifier}; shift 2 ;;
        *) die "unknown argument '$1' (see the comment at the top of this script)" ;;
    esac
done
[[ -n $OUTPUT ]] || die "--output DIR is required"
if [[ -z $RID ]]; then
    case $(uname -m) in
        x86_64) RID=linux-x64 ;;
        aarch64 | arm64) RID=linux-arm64 ;;
        *) die "no runtime identifier for $(uname -m); pass --rid" ;;
    esac
fi

PROJECT="$(cd "$(dirname "$0")/.." && pwd)/src/PinsDaemon.Cli/PinsDaemon.Cli.csproj"
# bin/ and obj/ go to a scratch directory, so a root build leaves nothing root-owned in a checkout.
ARTIFACTS=$(mktemp -d /tmp/pins-cli-build.XXXXXX)
trap 'rm -rf "$ARTIFACTS"' EXIT
# ReadyToRun: a command line starts often and briefly, so it should not spend its life in the JIT.
DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 \
    dotnet publish "$PROJECT" -c Release -r "$RID" --self-contained -p:PublishReadyToRun=true \
    --artifacts-path "$ARTIFACTS" -o "$OUTPUT" -v quiet -nologo ||
    die "dotnet publish failed"
[[ -x $OUTPUT/pins ]] || die "dotnet publish produced no executable 'pins' in $OUTPUT"
echo "publish-cli.sh: pins for $RID is in $OUTPUT"
