#!/bin/bash
# Scenario 14: the self-upgrade. The lab's apt repository offers pinsdaemon version 2 and
# pinslab-after version 2, which depends on it, so dpkg configures the new pinsdaemon first.
# A real apply over the API upgrades both: dpkg runs pinsdaemon's prerm (the old daemon stops)
# and postinst (the new one starts) inside the job's own run, and pinslab-after's postinst holds
# after that. While it holds, the new daemon has re-attached and says `running`; then the job
# ends `succeeded`, and a client that followed it across the restart got every line once, byte
# for byte.
# Proves: the job that upgrades pinsdaemon itself is not cut off by it.
source "$(dirname "$0")/../lib/scenario.sh"

M=package-self-upgrade
# shellcheck disable=SC2034  # read by held_apply_start and the checks in lib/scenario.sh
HELD=pinslab-after
up $M
lab_exec $M bash -c 'dpkg -i /srv/pinslab/packages/self-v1/pinslab-after_1_all.deb &&
    printf "Types: deb\nURIs: file:/srv/pinslab/packages/self\nSuites: ./\nTrusted: yes\n" \
        >/etc/apt/sources.list.d/pinslab-self.sources' >"$SCENARIO_WORK/setup.log" 2>&1 ||
    { cat "$SCENARIO_WORK/setup.log"; abort "pinslab-after 1 installed and the self-upgrade repository added"; }
OLD_VERSION=$(lab_exec $M dpkg-query -W -f='${Version}' pinsdaemon)
before=$(lab_exec $M systemctl show -p MainPID --value pinsdaemon)

held_apply_start $M
after=$(lab_exec $M systemctl show -p MainPID --value pinsdaemon)
info "daemon pid $before -> $after"
check "dpkg: pinsdaemon was upgraded $OLD_VERSION -> $PINS_SELF_VERSION by the job" \
    test "$(lab_exec $M dpkg-query -W -f='${db:Status-Abbrev}${Version}' pinsdaemon)" == "ii $PINS_SELF_VERSION"
check "the daemon is a new process, started by the package's postinst" test "$before" != "$after"
check "the job's own log shows the package's prerm and postinst" \
    grep -q '^pinsdaemon: pinsdaemon.service is running' "$CLIENT/stdout"
check_run_outlived_daemon $M
check_job_running_again $M
held_apply_finish $M

upgraded_ok() {
    local actual
    actual=$(json "$SCENARIO_WORK/job.json" '(j.upgraded ?? []).filter(p => p.package === "pinsdaemon").map(p => `${p.from} ${p.to}`).join()')
    info "upgraded pinsdaemon: $actual"
    [[ $actual == "$OLD_VERSION $PINS_SELF_VERSION" ]]
}
check "upgraded lists pinsdaemon $OLD_VERSION -> $PINS_SELF_VERSION" upgraded_ok
check "pinsdaemon.service is active" lab_unit_is $M pinsdaemon.service active
