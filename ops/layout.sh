# shellcheck shell=bash
# Where PinsDaemon lives on a host: sourced by install.sh, uninstall.sh and
# run-without-systemd.sh, so what one creates the others find and remove.
# shellcheck disable=SC2034  # each script uses its own subset

readonly SERVICE_USER=sysupdate-api
readonly SERVICE=pinsdaemon
readonly INSTALL_DIR=/usr/lib/pinsdaemon
readonly SCRIPT_PATH=/usr/libexec/pinsdaemon/system-upgrade.sh
readonly SUDOERS_PATH=/etc/sudoers.d/pinsdaemon
readonly UNIT_PATH=/etc/systemd/system/pinsdaemon.service
# One unit per upgrade run, started by the script (root) through systemctl.
readonly TEMPLATE_UNIT_PATH=/etc/systemd/system/pinsdaemon-upgrade@.service
# The runs' files: written by root, read by the daemon (the script's RUNS_DIR).
readonly RUNS_DIR=/var/lib/pinsdaemon-upgrade
readonly TOKEN_DIR=/etc/pinsdaemon
readonly TOKEN_PATH=$TOKEN_DIR/api-token
readonly STATE_DIR=/var/lib/pinsdaemon
readonly RUN_DIR=/run/pinsdaemon
readonly LOG_FILE=/var/log/pinsdaemon.log
