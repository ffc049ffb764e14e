"""What the control-plane integration tests share: the pass/fail record, shell commands, and a
black network made of namespaces whose veth `black0` ports hang on one bridge (no multicast
snooping, so every datagram floods), removed again by name prefix."""
import subprocess


class Checks:
    """Prints each check as it is made and remembers the failures."""

    def __init__(self):
        self.failures = []

    def __call__(self, ok, what):
        print(("ok   " if ok else "FAIL ") + what, flush=True)
        if not ok:
            self.failures.append(what)

    def verdict(self):
        print("PASS" if not self.failures else f"FAILED: {len(self.failures)} checks")
        return 0 if not self.failures else 1


def run(cmd, check_rc=True):
    r = subprocess.run(cmd, shell=True, capture_output=True, text=True)
    if check_rc and r.returncode != 0:
        raise RuntimeError(f"{cmd}: {r.stderr.strip()}")
    return r


class BlackBridge:
    """Namespaces named PREFIX<i> (and any other PREFIX... name), bridged in PREFIX-br."""

    def __init__(self, prefix):
        self.prefix = prefix
        self.bridge_ns = f"{prefix}-br"

    def ns(self, i):
        return f"{self.prefix}{i}"

    def create(self):
        run(f"ip netns add {self.bridge_ns}")
        run(f"ip -n {self.bridge_ns} link add br0 type bridge mcast_snooping 0")
        run(f"ip -n {self.bridge_ns} link set br0 up")

    def add_port(self, name, port, addresses, prefix_length=24):
        """Namespace `name` with `black0` on the bridge (bridge side `port`), addresses of
        `prefix_length` bits and a multicast route."""
        run(f"ip netns add {name}")
        run(f"ip link add black0 netns {name} type veth peer name {port} netns {self.bridge_ns}")
        run(f"ip -n {self.bridge_ns} link set {port} master br0 up")
        run(f"ip -n {name} link set lo up")
        run(f"ip -n {name} link set black0 up")
        for a in addresses:
            run(f"ip -n {name} addr add {a}/{prefix_length} dev black0")
        run(f"ip -n {name} route add 224.0.0.0/4 dev black0")

    def partition(self, ports):
        """Moves the bridge ports `ports` onto a second bridge: two black networks that hear
        nothing of each other until heal()."""
        run(f"ip -n {self.bridge_ns} link add br1 type bridge mcast_snooping 0", check_rc=False)
        run(f"ip -n {self.bridge_ns} link set br1 up")
        for port in ports:
            run(f"ip -n {self.bridge_ns} link set {port} master br1")

    def heal(self, ports):
        for port in ports:
            run(f"ip -n {self.bridge_ns} link set {port} master br0")

    def teardown(self, procs=(), grace_s=0):
        """Stops `procs` (SIGTERM and up to `grace_s` to exit, else SIGKILL) and removes every
        namespace with the prefix."""
        for p in procs:
            if p.poll() is None:
                if grace_s:
                    p.terminate()
                else:
                    p.kill()
        for p in procs:
            try:
                p.wait(timeout=grace_s or None)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        for line in run("ip netns list", check_rc=False).stdout.splitlines():
            name = line.split()[0] if line.split() else ""
            if name.startswith(self.prefix):
                run(f"ip netns del {name}", check_rc=False)
