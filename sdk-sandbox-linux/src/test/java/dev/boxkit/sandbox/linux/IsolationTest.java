package dev.boxkit.sandbox.linux;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.NetworkMode;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Namespaces, ids, capabilities, fds, session: each test checks from inside what leaks out. */
class IsolationTest {

  private static final List<String> NAMESPACES = List.of("user", "mnt", "pid", "ipc", "uts", "cgroup", "net");

  private static String hostNs(String ns) throws IOException {
    return Files.readSymbolicLink(Path.of("/proc/self/ns", ns)).toString();
  }

  @Test
  void everyNamespaceIsNew() throws IOException {
    String script = NAMESPACES.stream().map(ns -> "readlink /proc/self/ns/" + ns)
        .collect(Collectors.joining("; "));
    List<String> inside = Sandboxes.run(script).stdoutText().lines().toList();
    assertEquals(NAMESPACES.size(), inside.size(), inside.toString());
    for (int i = 0; i < NAMESPACES.size(); i++) {
      assertNotEquals(hostNs(NAMESPACES.get(i)), inside.get(i), NAMESPACES.get(i) + " namespace is shared");
    }
  }

  @Test
  void hostNetworkModeSharesOnlyTheNetwork() throws IOException {
    List<String> inside = Sandboxes.sh("readlink /proc/self/ns/net /proc/self/ns/pid")
        .network(NetworkMode.HOST).run().stdoutText().lines().toList();
    assertEquals(hostNs("net"), inside.get(0));
    assertNotEquals(hostNs("pid"), inside.get(1));
  }

  @Test
  void hostLoopbackIsUnreachableWithNetworkNone() throws IOException {
    try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      String connect = "exec bash -c 'echo hi > /dev/tcp/127.0.0.1/" + server.getLocalPort() + "'";
      ExecResult none = Sandboxes.run(connect);
      assertNotEquals(0, none.exitCode(), "connected to the host's 127.0.0.1 from NetworkMode.NONE");
      assertTrue(none.stderrText().contains("refused"), none.stderrText());
      ExecResult host = Sandboxes.sh(connect).network(NetworkMode.HOST).run();
      assertEquals(0, host.exitCode(), "control: HOST mode reaches it: " + host.stderrText());
    }
  }

  @Test
  void onlyLoopbackExistsAndItIsUp() {
    ExecResult r = Sandboxes.run("cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' ';"
        + " cat /proc/sys/net/ipv4/ip_unprivileged_port_start; cat /sys/class/net/lo/operstate 2>/dev/null;"
        + " ping -c1 -W1 127.0.0.1 >/dev/null 2>&1; bash -c 'exec 3<>/dev/tcp/127.0.0.1/1' 2>&1 | grep -o refused");
    List<String> lines = r.stdoutText().lines().toList();
    assertEquals("lo", lines.get(0), r.stdoutText());
    // Per network namespace: 0 shows the helper wrote it in the namespace the program is in.
    assertEquals("0", lines.get(1), "low ports open to unprivileged binds inside: " + r.stdoutText());
    assertTrue(r.stdoutText().contains("refused"), "loopback is up (connection refused, not unreachable): " + r.stdoutText());
  }

  @Test
  void hostProcessesAreInvisibleAndCannotBeSignalled() {
    long jvm = ProcessHandle.current().pid();
    ExecResult r = Sandboxes.run("echo $$; ls /proc | grep -E '^[0-9]+$' | sort -n | tr '\\n' ' '; echo;"
        + " kill -0 " + jvm + " 2>&1; kill -0 1 && echo init-visible");
    List<String> lines = r.stdoutText().lines().toList();
    assertEquals("2", lines.get(0), "the program runs as pid 2 under init");
    Set<String> pids = new TreeSet<>(Arrays.asList(lines.get(1).trim().split(" ")));
    assertTrue(pids.stream().allMatch(p -> Integer.parseInt(p) < 10),
        "only init, sh and its pipeline may be visible: " + pids);
    assertFalse(pids.contains(Long.toString(jvm)) && jvm > 10, "the JVM is visible: " + pids);
    assertTrue(r.stdoutText().contains("No such process") || r.stderrText().contains("No such process"),
        "kill of the JVM's pid must find no process: " + r);
  }

  @Test
  void hostnameIsPrivate() throws IOException {
    String before = Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
    ExecResult r = Sandboxes.sh("cat /proc/sys/kernel/hostname; hostname evil 2>&1; cat /proc/sys/kernel/hostname")
        .hostname("box1").run();
    assertTrue(r.stdoutText().startsWith("box1\n"), r.stdoutText());
    assertEquals(before, Files.readString(Path.of("/proc/sys/kernel/hostname")).trim());
  }

  @Test
  void everyCapabilityIsDroppedAndNoNewPrivsIsSet() {
    ExecResult r = Sandboxes.run("grep -E '^(Cap(Inh|Prm|Eff|Bnd|Amb)|NoNewPrivs):' /proc/self/status");
    List<String> lines = r.stdoutText().lines().toList();
    assertEquals(6, lines.size(), r.stdoutText());
    for (String l : lines) {
      if (l.startsWith("NoNewPrivs")) {
        assertTrue(l.endsWith("1"), l);
      } else {
        assertTrue(l.endsWith("0000000000000000"), "capability left: " + l);
      }
    }
  }

  @Test
  void privilegedOperationsFailInside() {
    ExecResult r = Sandboxes.run("mount -t tmpfs none /tmp 2>/dev/null && echo MOUNTED;"
        + " unshare -U true 2>/dev/null && echo USERNS; unshare -m true 2>/dev/null && echo MNTNS;"
        + " chroot / true 2>/dev/null && echo CHROOT; echo done");
    assertEquals("done\n", r.stdoutText());
  }

  @Test
  void requestedIdsApply() {
    ExecResult r = Sandboxes.sh("id -u; id -g").user(1234, 4321).run();
    assertEquals("1234\n4321\n", r.stdoutText(), r.stderrText());
    assertEquals("0\n", Sandboxes.run("id -u").stdoutText());
  }

  @Test
  @SuppressWarnings("try") // the resource is held open, not used
  void onlyStdioIsOpen() throws IOException {
    // A file the JVM holds open must not reach the sandbox.
    Path f = Files.createTempFile("boxkit-leak", ".txt");
    try (var in = Files.newInputStream(f)) {
      ExecResult r = Sandboxes.run("ls /proc/self/fd | tr '\\n' ' '");
      assertEquals("0 1 2 3 ", r.stdoutText(), "fd 3 is ls's own directory handle");
    } finally {
      Files.delete(f);
    }
  }

  @Test
  void programLeadsItsOwnSession() {
    ExecResult r = Sandboxes.run("cut -d' ' -f1,6 /proc/$$/stat");
    String[] f = r.stdoutText().trim().split(" ");
    assertEquals(f[0], f[1], "session id is the program's own pid");
  }

  @Test
  void environmentIsEmptyByDefault() {
    Sandboxes.require();
    ExecResult r = dev.boxkit.sandbox.Sandbox.builder().command("/usr/bin/env").run();
    assertEquals("", r.stdoutText());
  }

  @Test
  void initReapsOrphans() {
    // The orphan is re-parented to init when its parent sh exits; once it has exited, only init
    // can reap it: a zombie ("Z") would stay visible forever.
    ExecResult r = Sandboxes.sh("sh -c 'sleep 0.05 & echo $! > /run/orphan'; p=$(cat /run/orphan);"
        + " while [ \"$(cut -d' ' -f3 /proc/$p/stat 2>/dev/null)\" = S ]; do sleep 0.01; done; sleep 0.2;"
        + " s=$(cut -d' ' -f3 /proc/$p/stat 2>/dev/null); echo ${s:-reaped}")
        .mount(dev.boxkit.sandbox.Mount.tmpfs("/run", 4096)).run();
    assertEquals("reaped\n", r.stdoutText(), r.stderrText());
  }
}
