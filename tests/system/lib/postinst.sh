#!/bin/sh
# postinst of every lab test package (lib/repo.sh fills in PACKAGE and VERSION).
#
# What it does is up to the test, which writes /etc/pinslab/PACKAGE before the upgrade, one
# key=value per line (unknown keys and malformed lines are ignored; nothing is evaluated):
#   lines=N          (0-999) print N numbered lines to stdout before anything else (default 3)
#   hold=yes         then write its pid to /run/pinslab/PACKAGE.holding and wait until the test creates
#                    /run/pinslab/PACKAGE.release (at most 10 min): "during the postinst"
#                    becomes a condition a test can wait for, not a guess at a sleep
#   lines_after=N    (0-999) print N more lines after the hold (default 2)
#   reboot=yes       touch /run/reboot-required and add PACKAGE to /run/reboot-required.pkgs
#   fail=yes         exit 1 at the end
#   unterminated=yes end with a line that has no newline
# The lines carry UTF-8, a tab, backslashes and quotes, and one 3000-byte line, so a log
# that mangles bytes does not compare equal to the run's output.
set -e
package=@PACKAGE@
version=@VERSION@
[ "$1" = configure ] || exit 0

lines=3 hold=no lines_after=2 reboot=no fail=no unterminated=no
if [ -r "/etc/pinslab/$package" ]; then
    while IFS='=' read -r key value; do
        case $key=$value in
            lines=[0-9] | lines=[0-9][0-9] | lines=[0-9][0-9][0-9]) lines=$value ;;
            lines_after=[0-9] | lines_after=[0-9][0-9] | lines_after=[0-9][0-9][0-9]) lines_after=$value ;;
            hold=yes) hold=yes ;;
            reboot=yes) reboot=yes ;;
            fail=yes) fail=yes ;;
            unterminated=yes) unterminated=yes ;;
        esac
    done <"/etc/pinslab/$package"
fi

say() { printf '%s %s: %s\n' "$package" "$version" "$1"; }
numbered() {
    i=1
    while [ "$i" -le "$2" ]; do
        say "$1 line $i of $2: é ü ✓ \\ \"quoted\" 'single'	tab"
        i=$((i + 1))
    done
}

numbered "postinst" "$lines"
say "a long line: $(head -c 3000 /dev/zero | tr '\0' x)"
say "to stderr" >&2
if [ "$hold" = yes ]; then
    mkdir -p /run/pinslab
    say "holding until /run/pinslab/$package.release exists"
    # The pid lets a test tell a waiting postinst from one that was killed mid-wait.
    echo $$ >"/run/pinslab/$package.holding"
    waited=0
    while [ ! -e "/run/pinslab/$package.release" ]; do
        if [ "$waited" -ge 6000 ]; then
            say "never released" >&2
            exit 1
        fi
        sleep 0.1
        waited=$((waited + 1))
    done
    rm -f "/run/pinslab/$package.holding"
    say "released"
    numbered "after the hold" "$lines_after"
fi
if [ "$reboot" = yes ]; then
    touch /run/reboot-required
    echo "$package" >>/run/reboot-required.pkgs
    say "a reboot is required"
fi
if [ "$fail" = yes ]; then
    say "failing on purpose" >&2
    exit 1
fi
if [ "$unterminated" = yes ]; then
    printf '%s %s: %s' "$package" "$version" "the last line, without a newline"
fi
exit 0
