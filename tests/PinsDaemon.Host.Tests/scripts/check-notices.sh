#!/bin/sh
# A check (dry run) whose simulation, besides two upgrades, keeps a held package back and names
# packages apt could autoremove: the lines are apt 2.6's (tests/fixtures/apt/dry-run-held-autoremovable.txt).
N=0123456789abcdef0123456789abcdef
s() { echo "pinsdaemon-status $N $*"; }
echo "pinsdaemon: channel $N"
s "phase simulate"
echo "Reading package lists..."
echo "Calculating upgrade..."
echo "The following packages were automatically installed and are no longer required:"
echo "  libncurses6 libtext-charwidth-perl"
echo "Use 'apt autoremove' to remove them."
echo "The following packages have been kept back:"
echo "  zip"
echo "2 upgraded, 0 newly installed, 0 to remove and 1 not upgraded."
echo "Inst libgcrypt20 [1.10.1-3] (1.10.1-3+deb12u1 Debian:12.15/oldstable, Debian-Security:12/oldstable-security [amd64])"
echo "Inst base-files [12.4+deb12u11] (12.4+deb12u15 Debian:12.15/oldstable [amd64])"
echo "Conf libgcrypt20 (1.10.1-3+deb12u1 Debian:12.15/oldstable, Debian-Security:12/oldstable-security [amd64])"
echo "Conf base-files (12.4+deb12u15 Debian:12.15/oldstable [amd64])"
s "exit 0"
