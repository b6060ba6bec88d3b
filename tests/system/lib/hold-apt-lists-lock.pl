#!/usr/bin/perl
# hold-apt-lists-lock.pl STATE_DIR [LOCK_FILE]: takes apt's lock on /var/lib/apt/lists (an
# fcntl write lock, as apt-get update takes it; LOCK_FILE names another system's, e.g. a lab
# container's through /proc/PID/root), writes STATE_DIR/locked, and holds it until
# STATE_DIR/release exists (at most 5 minutes). To apt this looks like another package manager
# updating its lists: system-upgrade.sh's update waits and retries.
use strict;
use warnings;
use Fcntl qw(O_RDWR O_CREAT);
use File::FcntlLock;

my $state = shift or die "usage: hold-apt-lists-lock.pl STATE_DIR [LOCK_FILE]\n";
my $file = shift // "/var/lib/apt/lists/lock";
sysopen(my $fh, $file, O_RDWR | O_CREAT, 0640) or die "open: $!\n";
my $lock = File::FcntlLock->new(l_type => F_WRLCK, l_whence => 0, l_start => 0, l_len => 0);
# Waits while someone else (a real apt-get update) holds it.
$lock->lock($fh, F_SETLKW) or die "lock: " . $lock->error . "\n";
open(my $marker, ">", "$state/locked") or die "$state/locked: $!\n";
close($marker);
for (my $waited = 0; !-e "$state/release" && $waited < 3000; $waited++) {
    select(undef, undef, undef, 0.1);
}
