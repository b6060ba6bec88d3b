# Where the pinsdaemon package puts things (Debian policy; /work/coord's layout decisions).
# ops/deb/build.sh copies this file, in place of their "# @LAYOUT@" line, into the maintainer
# scripts, run-without-systemd and pinsdaemon-tls, so what one creates the others find and
# remove. POSIX sh: the maintainer scripts run under /bin/sh.
# shellcheck shell=sh disable=SC2034  # each script uses its own subset

readonly SERVICE_USER=sysupdate-api
readonly SERVICE=pinsdaemon
readonly LIB_DIR=/usr/lib/pinsdaemon
readonly LIBEXEC_DIR=/usr/libexec/pinsdaemon
readonly SCRIPT_PATH=$LIBEXEC_DIR/system-upgrade.sh
readonly RUN_WITHOUT_SYSTEMD=$LIBEXEC_DIR/run-without-systemd
readonly TLS_TOOL=/usr/sbin/pinsdaemon-tls
readonly UNIT_PATH=/usr/lib/systemd/system/pinsdaemon.service
readonly SUDOERS_SOURCE=/usr/share/pinsdaemon/sudoers
readonly SUDOERS_PATH=/etc/sudoers.d/pinsdaemon
readonly CONF_DIR=/etc/pinsdaemon
readonly SETTINGS_PATH=$CONF_DIR/pinsdaemon.conf
readonly TOKEN_PATH=$CONF_DIR/api-token
readonly TLS_CERT=$CONF_DIR/tls.crt
readonly TLS_KEY=$CONF_DIR/tls.key
readonly STATE_DIR=/var/lib/pinsdaemon
readonly RUNS_DIR=/var/lib/pinsdaemon-upgrade
readonly RUN_DIR=/run/pinsdaemon
readonly LOG_FILE=/var/log/pinsdaemon.log
