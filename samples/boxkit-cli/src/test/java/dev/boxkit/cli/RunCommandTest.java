package dev.boxkit.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.boxkit.testing.ExternalTools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunCommandTest {
  @TempDir Path tmp;

  @BeforeEach
  void sandbox() {
    Cli.requireSandbox();
  }

  private Cli.Result run(String... args) {
    List<String> all = new ArrayList<>(List.of("run", "--cache-dir", tmp.resolve("rootfs").toString()));
    all.addAll(Arrays.asList(args));
    return Cli.run(all.toArray(String[]::new));
  }

  private Cli.Result runInChild(String... args) throws Exception {
    List<String> all = new ArrayList<>(List.of("run", "--cache-dir", tmp.resolve("rootfs").toString()));
    all.addAll(Arrays.asList(args));
    return Cli.runInChildJvm(all.toArray(String[]::new));
  }

  /** An image of /bin/sh and its libraries only: no /proc, /dev or /tmp of its own. */
  private String shImage(String... extraBuildArgs) {
    Path layout = tmp.resolve("images");
    List<String> args = new ArrayList<>(List.of("build", "--cache-dir", tmp.resolve("store").toString(), "-q",
        "--executables", "/bin/sh", "--entrypoint", "/bin/sh"));
    args.addAll(Arrays.asList(extraBuildArgs));
    String ref = "oci:" + layout + ":sh" + Math.abs(Arrays.hashCode(extraBuildArgs));
    args.addAll(List.of("--output", ref));
    Cli.Result r = Cli.run(args.toArray(String[]::new));
    assertEquals(0, r.exitCode(), r.toString());
    return ref;
  }

  @Test
  void exitStatusIsTheProgramsOwn() {
    assertEquals(7, run("--host-root", "--", "/bin/sh", "-c", "exit 7").exitCode());
    assertEquals(0, run("--", "/bin/sh", "-c", "exit 0").exitCode(), "--host-root is the default");
  }

  @Test
  void aSignalGives128PlusItsNumber() {
    assertEquals(143, run("--", "/bin/sh", "-c", "kill -TERM $$").exitCode());
    assertEquals(137, run("--", "/bin/sh", "-c", "kill -KILL $$").exitCode());
  }

  @Test
  void anImageBuiltFromExecutablesRunsWithItsConfig() throws Exception {
    String image = shImage("--cmd", "-c", "--cmd", "exit 3");
    assertEquals(3, run("--image", image).exitCode(), "Entrypoint + Cmd");
    Cli.Result hi = runInChild("--image", image, "--", "-c", "echo hi");
    assertEquals(0, hi.exitCode(), hi.toString());
    assertEquals("hi\n", hi.out(), "arguments after -- replace Cmd");
    Cli.Result unpackedOnce = runInChild("--image", image, "--", "-c", "echo again");
    assertEquals("again\n", unpackedOnce.out(), unpackedOnce.toString());
  }

  @Test
  void anUnpackedTreeRunsAsRootfsAndStaysUnchanged() throws Exception {
    String image = shImage();
    Path tree = tmp.resolve("tree");
    assertEquals(0, Cli.run("unpack", image, tree.toString()).exitCode());
    List<String> before = listing(tree);
    Cli.Result r = runInChild("--rootfs", tree.toString(), "--tmpfs", "/tmp", "--", "/bin/sh", "-c",
        "echo x > /tmp/f && echo tmp ok; echo y > /bin/f || echo root read-only");
    assertEquals(0, r.exitCode(), r.toString());
    assertEquals("tmp ok\nroot read-only\n", r.out());
    assertEquals(before, listing(tree), "no mount point or file was added to the tree");

    Cli.Result missing = run("--rootfs", tmp.resolve("nope").toString(), "--", "/bin/sh");
    assertEquals(125, missing.exitCode(), missing.toString());
    assertTrue(missing.err().contains("not a directory"), missing.toString());
  }

  @Test
  void isolationVmRunsTheTreeInAMicroVm() throws Exception {
    dev.boxkit.testing.ExternalTools.require("qemu-system-x86_64", "qemu-system-x86");
    dev.boxkit.testing.ExternalTools.requireHost(System.getenv("BOXKIT_VM_KERNEL") != null,
        "set BOXKIT_VM_KERNEL to the kernel sdk-sandbox-macos/scripts/build-kernel.sh or fetch-debian-kernel.sh prints");
    String image = shImage();
    Path tree = tmp.resolve("vm-tree");
    assertEquals(0, Cli.run("unpack", image, tree.toString()).exitCode());
    Cli.Result r = runInChild("--isolation", "vm", "--rootfs", tree.toString(), "--", "/bin/sh", "-c",
        "echo from the vm; exit 5");
    assertEquals(5, r.exitCode(), r.toString());
    assertEquals("from the vm\n", r.out());
  }

  private static List<String> listing(Path tree) throws IOException {
    try (java.util.stream.Stream<Path> s = Files.walk(tree)) {
      return s.map(p -> tree.relativize(p).toString()).sorted().toList();
    }
  }

  @Test
  void aDockerArchiveRunsToo() throws Exception {
    Path archive = tmp.resolve("sh.tar");
    Cli.Result build = Cli.run("build", "--cache-dir", tmp.resolve("store").toString(), "-q",
        "--executables", "/bin/sh", "--entrypoint", "/bin/sh", "--output", "docker-archive:" + archive + ":sh:1");
    assertEquals(0, build.exitCode(), build.toString());
    Cli.Result r = runInChild("--image", "docker-archive:" + archive, "--", "-c", "echo from archive");
    assertEquals("from archive\n", r.out(), r.toString());
  }

  @Test
  void imageEnvWorkdirAndUserApplyAndFlagsOverrideThem() throws Exception {
    Path etc = Files.createDirectories(tmp.resolve("etc"));
    Files.writeString(etc.resolve("passwd"), "root:x:0:0::/:/bin/sh\napp:x:1000:1001::/:/bin/sh\n");
    Files.writeString(etc.resolve("group"), "root:x:0:\napp:x:1001:\n");
    Path work = Files.createDirectories(tmp.resolve("work"));
    String image = shImage("--layer", etc + ":/etc", "--layer", work + ":/work", "--env", "GREETING=hello",
        "--workdir", "/work", "--user", "app");
    String script = "echo $GREETING; echo $PWD; while read k v rest; do [ \"$k\" = Uid: ] && echo uid $v;"
        + " [ \"$k\" = Gid: ] && echo gid $v; done < /proc/self/status; echo $PATH";
    Cli.Result r = runInChild("--image", image, "--", "-c", script);
    assertEquals(0, r.exitCode(), r.toString());
    assertEquals("hello\n/work\nuid 1000\ngid 1001\n" + dev.boxkit.sandbox.SandboxSpec.DEFAULT_PATH + "\n", r.out());

    Cli.Result o = runInChild("--image", image, "--env", "GREETING=bye", "--workdir", "/", "--user", "0:0",
        "--", "-c", script);
    assertEquals("bye\n/\nuid 0\ngid 0\n" + dev.boxkit.sandbox.SandboxSpec.DEFAULT_PATH + "\n", o.out(), o.toString());

    Cli.Result unknown = run("--image", image, "--user", "nobody", "--", "-c", "true");
    assertEquals(125, unknown.exitCode(), unknown.toString());
    assertTrue(unknown.err().contains("\"nobody\""), unknown.toString());
  }

  @Test
  void networkNoneHasOnlyLoopback() throws Exception {
    Cli.Result none = runInChild("--network", "none", "--", "/bin/cat", "/proc/net/dev");
    assertEquals(0, none.exitCode(), none.toString());
    List<String> ifaces = interfaces(none.out());
    assertEquals(List.of("lo"), ifaces, none.out());

    List<String> host = interfaces(Files.readString(Path.of("/proc/net/dev")));
    Cli.Result shared = runInChild("--network", "host", "--", "/bin/cat", "/proc/net/dev");
    assertEquals(host, interfaces(shared.out()), shared.toString());
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (IOException e) {
      return e.toString();
    }
  }

  private static List<String> interfaces(String procNetDev) {
    List<String> names = new ArrayList<>();
    for (String line : procNetDev.split("\n")) {
      int colon = line.indexOf(':');
      if (colon > 0) {
        names.add(line.substring(0, colon).trim());
      }
    }
    names.sort(null);
    return names;
  }

  @Test
  void bindsAreReadOnlyUnlessRw() throws IOException {
    Path data = dev.boxkit.sandbox.SandboxDirectories.createWritable(tmp.resolve("data"));
    Cli.Result ro = run("--bind", data + ":/mnt", "--", "/bin/sh", "-c", "echo x > /mnt/f");
    assertNotEquals(0, ro.exitCode());
    assertFalse(Files.exists(data.resolve("f")));
    Cli.Result rw = run("--bind", data + ":/mnt:rw", "--", "/bin/sh", "-c", "echo x > /mnt/f");
    assertEquals(0, rw.exitCode(), rw.toString());
    assertEquals("x\n", Files.readString(data.resolve("f")));
  }

  @Test
  void aRootOwnedWritableBindIsRefusedWithItsReason() throws IOException {
    ExternalTools.requireHost(Files.getAttribute(tmp, "unix:uid").equals(0), "applies to a root JVM");
    Path data = Files.createDirectories(tmp.resolve("rootdata"));
    Cli.Result rw = run("--bind", data + ":/mnt:rw", "--", "/bin/true");
    assertEquals(125, rw.exitCode(), rw.toString());
    assertTrue(rw.err().contains("owned by the host's root"), rw.toString());
  }

  @Test
  void stdinRedirectedFromAFileCannotBeWrittenThroughProcSelfFd() throws Exception {
    Path in = Files.writeString(tmp.resolve("stdin.txt"), "keep me\n");
    List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Main.class.getName(), "run", "--", "/bin/sh", "-c",
        "echo x >> /proc/self/fd/0; echo y > /dev/stdin; readlink /proc/self/fd/0; cat");
    Process boxkit = new ProcessBuilder(cmd).redirectInput(in.toFile()).redirectErrorStream(true)
        .redirectOutput(tmp.resolve("out").toFile()).start();
    assertTrue(boxkit.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
    String out = read(tmp.resolve("out"));
    assertEquals("keep me\n", Files.readString(in), "the caller's file is unchanged: " + out);
    assertTrue(out.contains("pipe:["), "the program got a pipe, not the file: " + out);
    assertTrue(out.endsWith("keep me\n"), "and still read the file through it: " + out);
  }

  @Test
  void networkAllowListLetsOnlyListedDestinationsThrough() throws Exception {
    ExternalTools.require("curl", "curl");
    com.sun.net.httpserver.HttpServer ok = com.sun.net.httpserver.HttpServer.create(
        new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 10);
    ok.createContext("/", ex -> {
      byte[] b = "listed\n".getBytes(java.nio.charset.StandardCharsets.UTF_8);
      ex.sendResponseHeaders(200, b.length);
      ex.getResponseBody().write(b);
      ex.close();
    });
    ok.start();
    try (java.net.ServerSocket other = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      int port = ok.getAddress().getPort();
      // (The program's stdout is the JVM's own here: exit codes tell what happened.)
      Cli.Result r = run("--network", "allow:127.0.0.1/32:" + port, "--", "/bin/sh", "-c",
          "curl -fsS --noproxy '' http://127.0.0.1:" + port + "/ >/dev/null || exit 3;"
          + " curl -fsS --noproxy '' http://127.0.0.1:" + other.getLocalPort() + "/ && exit 4; exit 0");
      assertEquals(0, r.exitCode(), r.toString());
      assertTrue(r.err().contains("boxkit: egress refused: 127.0.0.1:" + other.getLocalPort()), r.toString());
    } finally {
      ok.stop(0);
    }
    Cli.Result bad = run("--network", "allow:not a host", "--", "/bin/true");
    assertEquals(2, bad.exitCode(), bad.toString());
    assertTrue(bad.err().contains("--network"), bad.toString());
  }

  @Test
  void theRootIsReadOnlyAndTmpfsIsWritable() {
    assertNotEquals(0, run("--", "/bin/sh", "-c", "echo x > /etc/boxkit-test").exitCode());
    assertFalse(Files.exists(Path.of("/etc/boxkit-test")));
    assertEquals(0, run("--tmpfs", "/mnt", "--", "/bin/sh", "-c", "echo x > /mnt/f").exitCode());
  }

  @Test
  void failuresBeforeTheProgramRunsAre125Or127() {
    Cli.Result notFound = run("--", "/no/such/program");
    assertEquals(127, notFound.exitCode(), notFound.toString());
    assertTrue(notFound.err().contains("/no/such/program"), notFound.toString());

    Cli.Result noImage = run("--image", "oci:" + tmp.resolve("none") + ":x", "--", "true");
    assertEquals(125, noImage.exitCode(), noImage.toString());
    assertTrue(noImage.err().startsWith("boxkit: "), noImage.toString());

    Cli.Result nothing = run("--host-root");
    assertEquals(125, nothing.exitCode(), nothing.toString());
    assertTrue(nothing.err().contains("nothing to run"), nothing.toString());

    Cli.Result two = run("--host-root", "--rootfs", tmp.toString(), "--", "true");
    assertEquals(2, two.exitCode(), two.toString());
    assertTrue(two.err().contains("mutually exclusive"), two.toString());
  }

  @Test
  void stoppingBoxkitGivesTheProgramSigterm() throws Exception {
    Path dir = dev.boxkit.sandbox.SandboxDirectories.createWritable(tmp.resolve("logs"));
    Path log = Files.createFile(dir.resolve("log"));
    Files.setAttribute(log, "unix:uid", Files.getAttribute(dir, "unix:uid"));
    Files.setAttribute(log, "unix:gid", Files.getAttribute(dir, "unix:gid"));
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Main.class.getName(), "run",
        "--bind", dir + ":/mnt:rw", "--", "/bin/sh", "-c",
        "trap 'echo got TERM > /mnt/log; exit 3' TERM; echo ready > /mnt/log; while :; do sleep 0.1; done"));
    Process boxkit = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(tmp.resolve("out").toFile()).start();
    try {
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
      while (!Files.readString(log).startsWith("ready") && boxkit.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(50);
      }
      assertEquals("ready\n", Files.readString(log), () -> "boxkit said: " + read(tmp.resolve("out")));
      boxkit.destroy(); // SIGTERM to the JVM
      assertTrue(boxkit.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
      assertEquals("got TERM\n", Files.readString(log), "the program's TERM trap ran");
    } finally {
      boxkit.destroyForcibly();
    }
  }

  @Test
  void memoryAndPidsLimitsAreEnforced() {
    Cli.Result probe = run("--memory", "32m", "--pids", "16", "--", "/bin/true");
    ExternalTools.requireHost(probe.exitCode() == 0, "memory and pids limits need a cgroup this JVM may write"
        + " (root, or a delegated cgroup v2 subtree): " + probe.err());
    Cli.Result hog = run("--memory", "32m", "--", "/bin/sh", "-c", "x=$(head -c 200000000 /dev/zero | tr '\\0' a); echo survived");
    assertEquals(137, hog.exitCode(), hog.toString());
    assertTrue(hog.err().contains("memory limit of 33554432 bytes"), hog.toString());
    assertEquals(0, run("--memory", "256m", "--", "/bin/sh", "-c", "x=$(head -c 1000000 /dev/zero | tr '\\0' a)").exitCode());

    Cli.Result forks = run("--pids", "4", "--", "/bin/sh", "-c",
        "for i in 1 2 3 4 5 6 7 8; do /bin/sleep 1 & done; wait");
    assertNotEquals(0, forks.exitCode(), "the fifth process cannot start: " + forks);
  }

  @Test
  void onlyAProgramKilledForMemorySaysSo() throws Exception {
    Cli.Result probe = run("--memory", "32m", "--", "/bin/true");
    ExternalTools.requireHost(probe.exitCode() == 0, "memory limits need a cgroup this JVM may write"
        + " (root, or a delegated cgroup v2 subtree): " + probe.err());
    assertFalse(probe.err().contains("memory limit"), probe.toString());

    // The OOM killer takes the subshell holding x; the program goes on. The subshell (and the
    // head and tr it forks) raise their oom_score_adj, which needs no privilege: on a loaded
    // machine the killer may strike again before the first victim's memory is reaped, and its
    // next pick must not be the program, which would make this a kill of the program itself.
    String hog = "(echo 1000 > /proc/self/oom_score_adj && x=$(head -c 200000000 /dev/zero | tr '\\0' a))";
    Cli.Result survived = runInChild("--memory", "32m", "--", "/bin/sh", "-c",
        hog + "; echo \"subshell=$?\"; exit 0");
    assertEquals(0, survived.exitCode(), survived.toString());
    assertTrue(survived.out().contains("subshell=137"), "a process was OOM-killed: " + survived);
    assertFalse(survived.err().contains("memory limit"), survived.toString());

    Cli.Result failed = runInChild("--memory", "32m", "--", "/bin/sh", "-c",
        hog + "; exit 3");
    assertEquals(3, failed.exitCode(), failed.toString());
    assertTrue(failed.err().contains("after the OOM killer killed one of its processes"), failed.toString());
    assertFalse(failed.err().contains("killed for using"), failed.toString());
  }

  /** Starts {@code boxkit run ARGS} in a child JVM, its stdout and stderr going to {@code out}. */
  private Process startInChild(Path out, String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), Main.class.getName(), "run",
        "--cache-dir", tmp.resolve("rootfs").toString()));
    cmd.addAll(Arrays.asList(args));
    return new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
  }

  /** A directory with index.html for BusyBox httpd, and its argv serving it on {@code port} inside. */
  private List<String> httpd(int port) throws IOException {
    Path busybox = ExternalTools.require("busybox", "busybox-static");
    Path www = Files.createDirectories(tmp.resolve("www"));
    Files.writeString(www.resolve("index.html"), "served through --publish\n");
    return List.of("--bind", www + ":/mnt", "--", busybox.toString(), "httpd", "-f", "-p", "127.0.0.1:" + port,
        "-h", "/mnt");
  }

  /** GETs /index.html, retrying while the service inside is not listening yet (the host side is). */
  private static String fetch(int port, Process boxkit, Path out) throws Exception {
    java.net.http.HttpClient c = java.net.http.HttpClient.newBuilder()
        .connectTimeout(java.time.Duration.ofSeconds(10)).build();
    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
    while (true) {
      try {
        java.net.http.HttpResponse<String> r = c.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create("http://127.0.0.1:" + port + "/index.html"))
            .timeout(java.time.Duration.ofSeconds(10)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return r.body();
      } catch (IOException e) {
        if (System.nanoTime() > deadline || !boxkit.isAlive()) {
          throw new AssertionError("no page from port " + port + "; boxkit said: " + read(out), e);
        }
        Thread.sleep(50);
      }
    }
  }

  @Test
  void publishWithoutHostPortPrintsTheFreePortChosen() throws Exception {
    Path out = tmp.resolve("out");
    Process boxkit = startInChild(out, concat(List.of("--publish", "8080", "--publish", "80"), httpd(8080)));
    try {
      java.util.regex.Pattern line = java.util.regex.Pattern.compile(
          "boxkit: sandbox port (\\d+) is at 127\\.0\\.0\\.1:(\\d+)\n");
      long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
      java.util.Map<Integer, Integer> ports = new java.util.HashMap<>();
      while (ports.size() < 2 && boxkit.isAlive() && System.nanoTime() < deadline) {
        Thread.sleep(50);
        java.util.regex.Matcher m = line.matcher(read(out));
        while (m.find()) {
          ports.put(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)));
        }
      }
      assertEquals(java.util.Set.of(8080, 80), ports.keySet(), () -> "boxkit said: " + read(out));
      assertEquals("served through --publish\n", fetch(ports.get(8080), boxkit, out));
      boxkit.destroy(); // SIGTERM: forwarded to httpd, which ends
      assertTrue(boxkit.waitFor(30, java.util.concurrent.TimeUnit.SECONDS));
      assertEquals(143, boxkit.exitValue(), () -> "boxkit said: " + read(out));
      assertThrows(java.net.ConnectException.class,
          () -> new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), ports.get(8080)).close());
    } finally {
      boxkit.destroyForcibly();
    }
  }

  @Test
  void publishWithAHostPortUsesItAndPrintsNothing() throws Exception {
    int free;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      free = s.getLocalPort();
    }
    Path out = tmp.resolve("out");
    Process boxkit = startInChild(out, concat(List.of("--publish", free + ":80"), httpd(80)));
    try {
      assertEquals("served through --publish\n", fetch(free, boxkit, out));
      assertFalse(read(out).contains("sandbox port"), read(out));
    } finally {
      boxkit.destroy();
      boxkit.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
      boxkit.destroyForcibly();
    }
  }

  @Test
  void badPublishValuesAreUsageErrorsNamingTheOption() {
    for (String bad : List.of("http", "0", "70000", "1:2:3", ":80", "80:", "+80", "-1")) {
      Cli.Result r = run("--publish", bad, "--", "/bin/true");
      assertEquals(2, r.exitCode(), bad + ": " + r);
      assertTrue(r.err().contains("--publish"), bad + ": " + r);
    }
    Cli.Result host = run("--publish", "8080", "--network", "host", "--", "/bin/true");
    assertEquals(2, host.exitCode(), host.toString());
    assertTrue(host.err().contains("--publish needs --network none"), host.toString());
    Cli.Result twice = run("--publish", "8080", "--publish", "9090:8080", "--", "/bin/true");
    assertEquals(2, twice.exitCode(), twice.toString());
    assertTrue(twice.err().contains("--publish: ") && twice.err().contains("published twice"), twice.toString());
  }

  private static String[] concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all.toArray(String[]::new);
  }

  @Test
  void aTimeoutKillsTheSandbox() {
    Cli.Result r = run("--timeout", "500ms", "--", "/bin/sleep", "30");
    assertEquals(137, r.exitCode(), r.toString());
    assertTrue(r.err().contains("timed out"), r.toString());
  }

  @Test
  void deviceGivesAHostNodeOrACdiDevice() throws Exception {
    // The host's /dev/null under another name: works with and without root.
    Cli.Result r = runInChild("--device", "/dev/null:/dev/fakedev", "--", "/bin/sh", "-c",
        "echo x > /dev/fakedev && cat /dev/fakedev && ls /dev/fakedev && test ! -e /dev/sda");
    assertEquals(0, r.exitCode(), r.toString());
    assertEquals("/dev/fakedev\n", r.out(), r.toString());
    Cli.Result unknown = run("--device", "boxkit.test/none=0", "--", "/bin/true");
    assertEquals(ExitCodes.BOXKIT_ERROR, unknown.exitCode(), unknown.toString());
    assertTrue(unknown.err().contains("no CDI spec declares kind boxkit.test/none"), unknown.toString());
    Cli.Result notADevice = run("--device", tmp.toString() + ":/dev/x", "--", "/bin/true");
    assertEquals(ExitCodes.BOXKIT_ERROR, notADevice.exitCode(), notADevice.toString());
    assertTrue(notADevice.err().contains("mount.source") && notADevice.err().contains("not a character or block device"),
        notADevice.toString());
    Cli.Result bad = run("--device", "gpu", "--", "/bin/true");
    assertEquals(2, bad.exitCode(), bad.toString());
    assertTrue(bad.err().contains("--device"), bad.toString());
  }
}
