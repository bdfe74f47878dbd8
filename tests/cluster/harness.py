"""Real daemons for the cluster tests: sshd, munge + Slurm, podman.

Every daemon runs in the foreground of a process this module started, so its
PID is known; `Daemons.stop_all` ends each one by that PID (SIGTERM, then
SIGKILL after a grace period: a slurmd once ignored SIGTERM while slurmctld was
down). Processes the daemons leave behind on their own (slurmstepd, conmon,
ssh control masters) carry the environment variable MARKER with this run's id
or hold a file under the run's folder; `Daemons.stop_all` ends those by PID
too and returns what it could not end.

Network rule: every address here is 127.0.0.1; nothing talks to any other
address.
"""
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

MARKER = "DLI_CLUSTER_TEST_RUN"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout, what, interval=0.1):
    """Polls `predicate` until it returns a true value (which is returned)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not ready after {timeout:.0f} s")
        time.sleep(interval)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def pids_of_run(run_id, root):
    """PIDs of live processes of this run: the environment carries its marker,
    or a file descriptor points under its folder (slurmstepd rewrites its
    environment but keeps the slurmd log open)."""
    needle = f"{MARKER}={run_id}".encode()
    prefix = f"{root}/"
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
                continue
            for fd in (entry / "fd").iterdir():
                if os.readlink(fd).startswith(prefix):
                    found.append(int(entry.name))
                    break
        except OSError:
            continue
    return [p for p in found if pid_alive(p)]


def stop_pid(pid, grace=10.0):
    """SIGTERM, then SIGKILL when `pid` is still there after `grace` seconds."""
    for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:  # reaps our own children; others are reaped by init
                if os.waitpid(pid, os.WNOHANG)[0] == pid:
                    return
            except ChildProcessError:
                pass
            if not pid_alive(pid):
                return
            time.sleep(0.05)


def descendants(pid):
    """PIDs of every live process below `pid`."""
    children = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def comm(pid):
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


class Daemons:
    """The daemons of one test run, each started in the foreground."""

    def __init__(self, root):
        self.root = Path(root)
        self.run_id = secrets.token_hex(8)
        self.env = dict(os.environ, **{MARKER: self.run_id})
        self.started = []  # (name, Popen), in start order

    def start(self, name, argv, log, env=None):
        with open(log, "ab") as out:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, env=env or self.env)
        self.started.append((name, proc))
        return proc

    def check_running(self, proc, log):
        if proc.poll() is not None:
            tail = Path(log).read_text(errors="replace")[-2000:]
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}:\n{tail}")

    def stop_all(self):
        """Stops every daemon, newest first, then any marked leftover; returns
        'comm(pid)' for each process still alive afterwards."""
        for _, proc in reversed(self.started):
            stop_pid(proc.pid)
        for pid in pids_of_run(self.run_id, self.root):
            stop_pid(pid, grace=3.0)
        left = [f"{name}({proc.pid})" for name, proc in self.started if pid_alive(proc.pid)]
        left += [f"{comm(p)}({p})" for p in pids_of_run(self.run_id, self.root)]
        return left


def stop_everything(daemons, slurm=None, podman=None):
    """Cancels the Slurm jobs, removes the containers and their storage, then
    stops every daemon by PID; returns what is still running (stop_all)."""
    if slurm:
        slurm.cancel_all_jobs()
    if podman:
        podman.cleanup()
    return daemons.stop_all()


class Sshd:
    """One sshd on 127.0.0.1:port with its own host key.

    It runs in a mount namespace of its own where /root is a folder of the
    test, so what sessions write to the home folder (the model cache) stays
    there, and root's shell starts without the machine's dotfiles.
    `env`: variables its sessions get (SetEnv). `password_only`: refuses keys
    and offers passwords alone.
    """

    def __init__(self, daemons, name, env=None, password_only=False, log_level="INFO"):
        self.name = name
        self.dir = daemons.root / f"sshd-{name}"
        self.dir.mkdir(mode=0o711)
        self.home = self.dir / "home"
        self.home.mkdir(mode=0o700)
        self.port = free_port()
        self.host_key = self.dir / "host_ed25519"
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f",
                        str(self.host_key)], check=True)
        self.authorized_keys = self.dir / "authorized_keys"
        self.authorized_keys.touch()
        set_env = " ".join(f'"{k}={v}"' for k, v in (env or {}).items())
        config = self.dir / "sshd_config"
        # StrictModes no: the key files live under /tmp, which is world-writable.
        config.write_text(f"""Port {self.port}
ListenAddress 127.0.0.1
HostKey {self.host_key}
PidFile {self.dir}/sshd.pid
AuthorizedKeysFile {self.authorized_keys}
PermitRootLogin {"yes" if password_only else "prohibit-password"}
PubkeyAuthentication {"no" if password_only else "yes"}
PasswordAuthentication {"yes" if password_only else "no"}
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
LogLevel {log_level}
{"SetEnv " + set_env if set_env else ""}
Subsystem sftp /usr/lib/openssh/sftp-server
""")
        Path("/run/sshd").mkdir(exist_ok=True)  # sshd's privilege-separation directory
        self.log = self.dir / "sshd.log"
        self.daemons = daemons
        # unshare and sh exec: the PID started is sshd's own.
        self.argv = ["unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c",
                     'mount --bind "$1" /root && exec /usr/sbin/sshd -D -e -f "$2"', "sh",
                     str(self.home), str(config)]
        self.start()

    def start(self):
        self.proc = self.daemons.start(f"sshd-{self.name}", self.argv, self.log)
        wait_for(lambda: self._listening(self.daemons), 10, f"sshd {self.name}")

    def kill(self):
        """The host dies: sshd and every session it serves, at once (SIGKILL)."""
        for pid in [self.proc.pid] + descendants(self.proc.pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.proc.wait(timeout=10)

    def _listening(self, daemons):
        daemons.check_running(self.proc, self.log)
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0

    def authorize(self, public_key_file):
        with open(self.authorized_keys, "a") as f:
            f.write(Path(public_key_file).read_text())

    def known_hosts_line(self):
        key_type, key = Path(f"{self.host_key}.pub").read_text().split()[:2]
        return f"[127.0.0.1]:{self.port} {key_type} {key}\n"


SLURM_CONF = """ClusterName=dlitest
SlurmctldHost={host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={dir}/munge/munge.sock
StateSaveLocation={dir}/state
SlurmdSpoolDir={dir}/spool/%n
SlurmctldPidFile={dir}/slurmctld.pid
SlurmdPidFile={dir}/slurmd-%n.pid
SlurmctldLogFile={dir}/log/slurmctld.log
SlurmdLogFile={dir}/log/slurmd-%n.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmdTimeout=30
InactiveLimit=0
KillWait=2
MinJobAge=300
{nodes}
PartitionName=debug Nodes={debug_nodes} Default=YES MaxTime=INFINITE State=UP
PartitionName=slow Nodes={slow_nodes} MaxTime=INFINITE State=UP
"""


class Slurm:
    """munged, slurmctld and one slurmd per node, all on this machine.

    Partition `debug` has n1 and n2; `slow` has n3 alone, so a job left to
    reach its time limit (a minute at least: Slurm counts in minutes and checks
    every 30 s) runs beside the other tests instead of before them.
    """

    def __init__(self, daemons, cpus_per_node=2):
        self.dir = daemons.root / "slurm"
        for sub in ("munge", "state", "spool", "log"):
            (self.dir / sub).mkdir(parents=True)
        os.chmod(self.dir, 0o755)
        os.chmod(self.dir / "munge", 0o700)
        key = self.dir / "munge" / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o600)
        munge_log = self.dir / "log" / "munged.log"
        self.munged = daemons.start("munged", [
            "munged", "--foreground", "--force", f"--key-file={key}",
            f"--socket={self.dir}/munge/munge.sock", f"--pid-file={self.dir}/munge/munged.pid",
            f"--log-file={munge_log}", f"--seed-file={self.dir}/munge/munged.seed"], munge_log)
        wait_for(lambda: daemons.check_running(self.munged, munge_log) or
                 (self.dir / "munge" / "munge.sock").exists(), 10, "munged")

        host = socket.gethostname()
        self.nodes = ["n1", "n2", "n3"]
        node_lines = "\n".join(
            f"NodeName={n} NodeHostname={host} NodeAddr=127.0.0.1 Port={free_port()} "
            f"CPUs={cpus_per_node} RealMemory=500" for n in self.nodes)
        self.conf = self.dir / "slurm.conf"
        self.conf.write_text(SLURM_CONF.format(
            host=host, ctld_port=free_port(), slurmd_port=free_port(), dir=self.dir,
            nodes=node_lines, debug_nodes="n1,n2", slow_nodes="n3"))
        self.env = dict(daemons.env, SLURM_CONF=str(self.conf))
        self.daemons = daemons
        self._start_controller()
        log = self.dir / "log"
        self.slurmd = [daemons.start(f"slurmd-{n}", ["slurmd", "-D", "-N", n, "-f",
                                                     str(self.conf)],
                                     log / f"slurmd-{n}.out", env=self.env)
                       for n in self.nodes]

        def all_idle():
            daemons.check_running(self.slurmctld, log / "slurmctld.log")
            for n, d in zip(self.nodes, self.slurmd):
                daemons.check_running(d, log / f"slurmd-{n}.log")
            out = subprocess.run(["sinfo", "--noheader", "--Node", "--format=%N %t"],
                                 capture_output=True, text=True, env=self.env).stdout
            states = dict(line.split() for line in out.splitlines() if line.strip())
            return all(states.get(n) == "idle" for n in self.nodes)

        wait_for(all_idle, 30, "Slurm nodes idle", interval=0.2)

    def _start_controller(self):
        self.slurmctld = self.daemons.start("slurmctld", ["slurmctld", "-D", "-f", str(self.conf)],
                                            self.dir / "log" / "slurmctld.out", env=self.env)

    def restart_controller(self):
        """Restarts slurmctld; jobs survive in its state folder. slurmctld
        checks time limits every 30 s from its start, so a job with a limit of
        one minute that started just before the restart ends 60 s after its
        start instead of up to 90."""
        stop_pid(self.slurmctld.pid)
        self._start_controller()

        def answers():
            self.daemons.check_running(self.slurmctld, self.dir / "log" / "slurmctld.log")
            return subprocess.run(["scontrol", "ping"], capture_output=True, text=True,
                                  env=self.env).stdout.count("UP") > 0

        wait_for(answers, 30, "slurmctld after restart", interval=0.2)

    def cancel_all_jobs(self):
        """Cancels every job and waits (bounded) until the nodes are free again,
        so no slurmstepd outlives the test."""
        subprocess.run(["scancel", "--user=root"], env=self.env, capture_output=True)

        def no_jobs():
            out = subprocess.run(["squeue", "--noheader", "--format=%i"], capture_output=True,
                                 text=True, env=self.env).stdout
            return not out.strip()

        try:
            wait_for(no_jobs, 20, "Slurm jobs ended", interval=0.2)
        except TimeoutError:
            pass  # stop_all still ends the daemons and their leftovers by PID


def shared_libraries(binary):
    """The files the dynamic loader maps for `binary` (the loader included),
    by the paths it looks them up at."""
    out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True,
                         check=True).stdout
    found = []
    for line in out.splitlines():
        words = line.split()
        if "=>" in words and len(words) > 2 and words[2].startswith("/"):
            found.append(words[2])
        elif words and words[0].startswith("/"):
            found.append(words[0])
    return found


PODMAN_CONF = """[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
"""


class Podman:
    """podman with its own storage under the test folder (no daemon: each
    container has a conmon, which carries the run's marker)."""

    def __init__(self, daemons):
        self.dir = daemons.root / "podman"
        (self.dir / "run").mkdir(parents=True)
        conf = self.dir / "containers.conf"
        conf.write_text(PODMAN_CONF)
        self.storage = self.dir / "storage.conf"
        self.storage.write_text(f"""[storage]
driver = "overlay"
graphroot = "{self.dir}/storage"
runroot = "{self.dir}/run"
""")
        self.env = dict(daemons.env, CONTAINERS_CONF=str(conf),
                        CONTAINERS_STORAGE_CONF=str(self.storage))

    def run(self, *args, **kw):
        return subprocess.run(["podman", *args], env=self.env, capture_output=True, text=True,
                              timeout=kw.pop("timeout", 120), **kw)

    def busybox_image(self, name, extra_files=None):
        """Imports a busybox rootfs as `name` (no registry is reachable)."""
        rootfs = self.dir / f"rootfs-{name.replace('/', '_')}"
        (rootfs / "bin").mkdir(parents=True)
        (rootfs / "tmp").mkdir()
        busybox = rootfs / "bin" / "busybox"
        busybox.write_bytes(Path("/bin/busybox").read_bytes())
        busybox.chmod(0o755)
        applets = subprocess.run(["/bin/busybox", "--list"], capture_output=True, text=True,
                                 check=True).stdout.split()
        for applet in applets:
            if applet != "busybox":
                (rootfs / "bin" / applet).symlink_to("busybox")
        for rel, (text, mode) in (extra_files or {}).items():
            path = rootfs / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            path.chmod(mode)
        tar = self.dir / f"{rootfs.name}.tar"
        subprocess.run(["tar", "-C", str(rootfs), "-cf", str(tar), "."], check=True)
        proc = self.run("import", "--quiet", "--change", "ENV=PATH=/usr/local/bin:/bin", str(tar),
                        name)
        if proc.returncode:
            raise RuntimeError(f"podman import failed: {proc.stderr}")
        return name

    def dli_image(self, name, base, dli, backend):
        """`name` FROM `base`: `dli` as /usr/local/bin/dli, the backend
        library on its DLI_BACKEND_PATH, and every shared library the two
        need, as ldd resolves them here, at the same paths. Files are
        hard-linked into the build context where possible (about 220 MB of
        libraries: OpenCV and its dependencies)."""
        backend = Path(backend)
        context = self.dir / f"context-{name.replace('/', '_')}"
        rootfs = context / "rootfs"
        files = {str(dli): "usr/local/bin/dli",
                 str(backend): f"usr/local/lib/dli-test/{backend.name}"}
        for binary in (dli, backend):
            for lib in shared_libraries(binary):
                files.setdefault(lib, lib.lstrip("/"))
        for source, rel in files.items():
            target = rootfs / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            real = os.path.realpath(source)
            try:
                os.link(real, target)
            except OSError:
                shutil.copy2(real, target)
        (context / "Containerfile").write_text(
            f"FROM {base}\nCOPY rootfs/ /\nENV DLI_BACKEND_PATH=/usr/local/lib/dli-test\n")
        proc = self.run("build", "--pull=never", "--network=none", "--quiet", "-t", name,
                        str(context), timeout=300)
        if proc.returncode:
            raise RuntimeError(f"podman build failed: {proc.stderr}")
        shutil.rmtree(context, ignore_errors=True)
        return name

    def cleanup(self):
        """Removes every container and the storage (overlay mounts included)."""
        if not shutil.which("podman"):
            return
        self.run("rm", "--all", "--force", "--time=2")
        self.run("system", "reset", "--force", timeout=60)
