#!/usr/bin/env bash
# Restart all: secrets put, every node stopped (SIGTERM for some, kill -9
# for the others), every node started again from its disk: everything is
# still there, and new puts work.
# Usage: restart_all_test.sh PATH_TO_PSS
PSS=${1:?usage: restart_all_test.sh PATH_TO_PSS}
BASE_PORT=7250
source "$(dirname "$0")/lib.sh"

e2e_start 5 3
check "a leader within 20 s" wait_healthy 20 5
for i in 1 2 3 4 5 6; do check "put s$i" put "s$i" "before-restart-$i"; done
check "put s1 again (version 2)" put s1 "s1-second"

"$cluster" stop-node 1 >/dev/null
"$cluster" stop-node 2 >/dev/null
"$cluster" kill-node 3 >/dev/null
"$cluster" kill-node 4 >/dev/null
"$cluster" kill-node 5 >/dev/null
check "no node left running" bash -c "! ls $work/cluster/node-*/node.pid >/dev/null 2>&1"
"$cluster" start >/dev/null
check "a leader within 20 s of the restart" wait_healthy 20 5
for i in 2 3 4 5 6; do check "s$i survives" get_equals "s$i" "before-restart-$i"; done
check "s1 version 1 survives" get_equals s1 "before-restart-1" 1
check "s1 latest survives" get_equals s1 "s1-second"
check "a put after the restart" put after "after-restart"
check "and reads back" get_equals after "after-restart"
e2e_finish
