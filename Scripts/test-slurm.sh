#!/usr/bin/env bash
# Tests Scripts/slurm/orchard.sbatch on a one-node Slurm cluster started here: installs Debian's
# slurm-wlm and munge where missing, starts munged, slurmctld and slurmd as root with every file in
# a temporary folder (proctrack/linuxproc, task/none: no cgroups), submits the quickstart as a job
# of one coordinator and two hosts, waits for it, and checks that the run completed with the same
# final model hash as `orchard run` of the same topology. Prints the run file's path last; stops
# the daemons it started whatever happens.
#
#   Scripts/test-slurm.sh            # ORCHARD names the binary (default .build/debug/orchard)
#   Scripts/test-slurm.sh --rounds 5
set -euo pipefail
cd "$(dirname "$0")/.."

rounds=3
case "${1:-}" in
    --rounds) rounds=${2:?--rounds needs a number} ;;
    "") ;;
    *) echo "usage: Scripts/test-slurm.sh [--rounds N]" >&2; exit 2 ;;
esac
[ "$(id -u)" -eq 0 ] || { echo "test-slurm: needs root (it starts slurmctld, slurmd and munged)" >&2; exit 1; }
Scripts/install-deps.sh --slurm
ORCHARD=$(realpath "${ORCHARD:-.build/debug/orchard}")
[ -x "$ORCHARD" ] || { echo "test-slurm: no orchard binary at $ORCHARD (swift build first)" >&2; exit 1; }
export ORCHARD

topology=topologies/quickstart.yaml
mkdir -p runs
run_file=$PWD/runs/slurm-quickstart.sqlite
reference=$PWD/runs/slurm-quickstart-reference.sqlite
rm -f "$run_file"* "$reference"*

work=$(mktemp -d /tmp/orchard-slurm.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# munge: a key of the cluster's own, a socket in the folder.
dd if=/dev/urandom of="$work/munge.key" bs=1024 count=1 status=none
chmod 400 "$work/munge.key"
munged --foreground --force --key-file "$work/munge.key" --socket "$work/munge.socket" \
    --pid-file "$work/munged.pid" --log-file "$work/munged.log" --seed-file "$work/munged.seed" \
    2>>"$work/munged.log" &
pids+=("$!")

node=$(hostname -s)
mkdir -p "$work/state" "$work/spool"
# Ports other than Slurm's defaults, so that a cluster already on this machine is left alone.
cat >"$work/slurm.conf" <<EOF
ClusterName=orchardtest
SlurmctldHost=$node
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$work/munge.socket
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SlurmdParameters=config_overrides
ReturnToService=2
NodeName=$node CPUs=4 State=UNKNOWN
PartitionName=test Nodes=$node Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
EOF
export SLURM_CONF=$work/slurm.conf

for _ in $(seq 50); do [ -S "$work/munge.socket" ] && break; sleep 0.1; done
slurmctld -D -i -f "$SLURM_CONF" 2>>"$work/slurmctld.log" &
pids+=("$!")
slurmd -D -f "$SLURM_CONF" -N "$node" 2>>"$work/slurmd.log" &
pids+=("$!")

state=""
for _ in $(seq 60); do
    state=$(sinfo -h -N -o '%T' 2>/dev/null | head -n 1 || true)
    [ "$state" = idle ] && break
    sleep 1
done
if [ "$state" != idle ]; then
    echo "test-slurm: the node is '$state', not idle, after 60 s" >&2
    tail -n 20 "$work/slurmctld.log" "$work/slurmd.log" >&2 || true
    exit 1
fi

# The job's keys go to the temporary folder (the environment reaches the job: sbatch exports it).
export ORCHARD_JOB_DIR=$work/job
# A port of its own, so that another coordinator on this machine does not stand in its way.
export ORCHARD_PORT=$((20000 + $$ % 20000))
job=$(sbatch --parsable --nodes=1 --ntasks=3 --output="$work/job.out" --chdir="$PWD" \
    Scripts/slurm/orchard.sbatch "$topology" "$run_file" --set "rounds=$rounds")
job=${job%%;*}
echo "test-slurm: submitted job $job"
# Meanwhile the reference: the same topology in one `orchard run`.
"$ORCHARD" run "$topology" --set "rounds=$rounds" --db "$reference" --processes 1 >/dev/null 2>"$work/reference.log" || {
    cat "$work/reference.log" >&2
    exit 1
}

job_state=""
for _ in $(seq 600); do
    job_state=$(scontrol show job "$job" 2>/dev/null | grep -o 'JobState=[A-Z_]*' | cut -d= -f2 || true)
    case $job_state in PENDING | RUNNING | CONFIGURING | COMPLETING | "") sleep 1 ;; *) break ;; esac
done
if [ "$job_state" != COMPLETED ]; then
    cat "$work/job.out" >&2
    echo "test-slurm: job $job ended ${job_state:-unseen}" >&2
    exit 1
fi
grep '^orchard.sbatch: job' "$work/job.out"
[ -f "$ORCHARD_JOB_DIR/keys/hosts/host-1.key" ] || { echo "test-slurm: no key of host-1 in the job's folder" >&2; exit 1; }

hash_of() { "$ORCHARD" report "$1" --json | grep -o '"final_model_sha256":"[0-9a-f]*"' | cut -d'"' -f4; }
status_of() { "$ORCHARD" report "$1" --json | grep -o '"status":"[a-z]*"' | head -n 1 | cut -d'"' -f4; }
slurm_hash=$(hash_of "$run_file")
reference_hash=$(hash_of "$reference")
[ "$(status_of "$run_file")" = completed ] || {
    cat "$work/job.out" >&2
    echo "test-slurm: the job's run did not complete" >&2
    exit 1
}
echo "test-slurm: final model sha256 $slurm_hash (Slurm job), $reference_hash (orchard run)"
if [ -z "$slurm_hash" ] || [ "$slurm_hash" != "$reference_hash" ]; then
    echo "test-slurm: the hashes differ" >&2
    exit 1
fi
echo "$run_file"
