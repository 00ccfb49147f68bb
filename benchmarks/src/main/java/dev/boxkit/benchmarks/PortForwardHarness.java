package dev.boxkit.benchmarks;

import dev.boxkit.sandbox.Sandbox;
import dev.boxkit.sandbox.SandboxProcess;
import dev.boxkit.sandbox.SandboxSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * Published ports side by side with plain loopback, in one run: the same BusyBox {@code nc}
 * server once as a host process and once in a sandbox reached through {@code mappedPort}, the
 * same Java client. Prints throughput for {@code MiB} mebibytes sent (median of 3), the p50
 * round-trip of a one-byte echo, and the p50 start of {@code /bin/true} with and without a
 * published port, with BoxKit/loopback ratios. With {@code BOXKIT_VM_KERNEL} set, the same
 * throughput (at most 256 MiB) and round trip through a micro-VM's published port.
 *
 * <p>Arguments: {@code [MiB, default 1024] [round trips, default 2000] [starts, default 40]}.
 */
public final class PortForwardHarness {
  private PortForwardHarness() {}

  private static final String BUSYBOX = "/bin/busybox";

  public static void main(String[] args) throws Exception {
    // One INFO line per sandbox would bury the results.
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    long mib = args.length > 0 ? Long.parseLong(args[0]) : 1024;
    int trips = args.length > 1 ? Integer.parseInt(args[1]) : 2000;
    int starts = args.length > 2 ? Integer.parseInt(args[2]) : 40;
    List<Double> host = new ArrayList<>();
    List<Double> mapped = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      int port = freePort();
      Process p = new ProcessBuilder(BUSYBOX, "nc", "-l", "-p", Integer.toString(port))
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      host.add(send(port, mib));
      p.waitFor();
      try (SandboxProcess s = sandbox("exec " + BUSYBOX + " nc -l -p 9000 >/dev/null").publish(9000).start()) {
        mapped.add(send(s.mappedPort(9000), mib));
        s.waitFor();
      }
    }
    double h = median(host);
    double m = median(mapped);
    System.out.printf(Locale.ROOT, "throughput %d MiB: loopback %.0f MiB/s, mapped port %.0f MiB/s, ratio %.2f%n",
        mib, h, m, m / h);
    new ResultRow("published port throughput (namespaces)", m, "loopback", h, "MiB/s").print();

    int port = freePort();
    Process echo = new ProcessBuilder(BUSYBOX, "nc", "-l", "-p", Integer.toString(port), "-e", "/bin/cat").start();
    double rh = roundTrip(port, trips);
    echo.destroy();
    double rm;
    try (SandboxProcess s = sandbox("exec " + BUSYBOX + " nc -l -p 7000 -e /bin/cat").publish(7000).start()) {
      rm = roundTrip(s.mappedPort(7000), trips);
    }
    System.out.printf(Locale.ROOT, "round trip p50: loopback %.1f us, mapped port %.1f us, ratio %.2f%n",
        rh, rm, rm / rh);
    new ResultRow("published port round trip p50 (namespaces)", rm, "loopback", rh, "us").print();

    // Egress proxy: a CONNECT through BoxKit's proxy vs a direct connect, to a host echo server.
    try (ServerSocket echoServer = new ServerSocket(0, 200, InetAddress.getLoopbackAddress())) {
      Thread t = new Thread(() -> {
        while (!echoServer.isClosed()) {
          try (Socket c = echoServer.accept()) {
            c.getOutputStream().write(c.getInputStream().read());
          } catch (IOException e) {
            return;
          }
        }
      }, "echo");
      t.setDaemon(true);
      t.start();
      int target = echoServer.getLocalPort();
      dev.boxkit.sandbox.EgressPolicy policy = dev.boxkit.sandbox.EgressPolicy.allow("127.0.0.1/32:" + target);
      try (dev.boxkit.sandbox.internal.egress.EgressProxy proxy = dev.boxkit.sandbox.internal.egress.EgressProxy
          .start(policy, dev.boxkit.sandbox.internal.egress.Resolver.system(), e -> { })) {
        List<Double> direct = new ArrayList<>();
        List<Double> viaProxy = new ArrayList<>();
        for (int i = 0; i < trips / 10; i++) {
          direct.add(connectEcho(target, -1));
          viaProxy.add(connectEcho(target, proxy.port()));
        }
        System.out.printf(Locale.ROOT, "connect + 1-byte echo p50: direct %.0f us, through the egress proxy"
            + " (CONNECT) %.0f us, +%.0f us%n", median(direct), median(viaProxy), median(viaProxy) - median(direct));
        new ResultRow("connect through the egress proxy p50", median(viaProxy), "direct connect",
            median(direct), "us").print();
      }
    }

    if (System.getenv("BOXKIT_VM_KERNEL") != null) {
      vm(Math.min(mib, 256), Math.min(trips, 500), h, rh);
    }

    List<Double> none = new ArrayList<>();
    List<Double> published = new ArrayList<>();
    for (int i = 0; i < starts; i++) {
      none.add(timeRun(sandbox("exit 0")));
      published.add(timeRun(sandbox("exit 0").publish(8080)));
    }
    System.out.printf(Locale.ROOT, "start p50: NONE %.2f ms, with a published port %.2f ms, +%.2f ms%n",
        median(none), median(published), median(published) - median(none));
    new ResultRow("sandbox start with a published port p50", median(published), "without",
        median(none), "ms").print();
  }

  /**
   * The same throughput and round trip through a micro-VM's published port (relayed over its
   * control channel), one VM each, against the loopback figures measured above.
   */
  private static void vm(long mib, int trips, double loopbackMibs, double loopbackRtt) throws Exception {
    java.nio.file.Path root = java.nio.file.Files.createTempDirectory("boxkit-bench-vm-");
    try {
      dev.boxkit.oci.elf.ExecutableClosure closure = dev.boxkit.oci.elf.ExecutableClosure.of(
          List.of(java.nio.file.Path.of(BUSYBOX), java.nio.file.Path.of("/bin/sh"), java.nio.file.Path.of("/bin/cat")));
      for (var e : closure.entries().entrySet()) {
        java.nio.file.Path target = root.resolve(e.getKey().substring(1));
        java.nio.file.Files.createDirectories(target.getParent());
        if (e.getValue() instanceof dev.boxkit.oci.elf.ExecutableClosure.HostFile f) {
          java.nio.file.Files.copy(f.source(), target, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        } else if (e.getValue() instanceof dev.boxkit.oci.elf.ExecutableClosure.Symlink l) {
          java.nio.file.Files.createSymbolicLink(target, java.nio.file.Path.of(l.target()));
        }
      }
      for (String d : List.of("proc", "dev", "tmp")) {
        java.nio.file.Files.createDirectories(root.resolve(d));
      }
      SandboxSpec.Builder base = Sandbox.builder().isolation(dev.boxkit.sandbox.Isolation.VM)
          .root(dev.boxkit.sandbox.Rootfs.directory(root));
      double m;
      try (SandboxProcess s = base.command("/bin/sh", "-c", "exec " + BUSYBOX + " nc -l -p 9000 >/dev/null")
          .publish(9000).start()) {
        m = send(s.mappedPort(9000), mib);
      }
      double r;
      try (SandboxProcess s = base.command("/bin/sh", "-c", "exec " + BUSYBOX + " nc -l -p 7000 -e /bin/cat")
          .publish(7000).start()) {
        r = roundTrip(s.mappedPort(7000), trips);
      }
      System.out.printf(Locale.ROOT, "VM (TCG) mapped port: %d MiB at %.0f MiB/s (ratio to loopback %.2f),"
          + " round trip p50 %.0f us (ratio %.1f)%n", mib, m, m / loopbackMibs, r, r / loopbackRtt);
    } finally {
      try (var all = java.nio.file.Files.walk(root)) {
        all.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static SandboxSpec.Builder sandbox(String script) {
    return Sandbox.builder().command("/bin/sh", "-c", script).env("PATH", "/usr/bin:/bin");
  }

  private static double timeRun(SandboxSpec.Builder b) {
    long t0 = System.nanoTime();
    b.run();
    return (System.nanoTime() - t0) / 1e6;
  }

  /** Sends mib MiB to 127.0.0.1:port (retrying until it accepts), returns MiB/s. */
  private static double send(int port, long mib) throws Exception {
    byte[] buf = new byte[1 << 16];
    for (int attempt = 0; ; attempt++) {
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
        OutputStream out = s.getOutputStream();
        long t0 = System.nanoTime();
        for (long sent = 0; sent < mib << 20; sent += buf.length) {
          out.write(buf);
        }
        s.shutdownOutput();
        s.getInputStream().read(); // end of file once the server has read everything
        return mib / ((System.nanoTime() - t0) / 1e9);
      } catch (IOException notYet) {
        if (attempt > 200) {
          throw notYet;
        }
        Thread.sleep(20);
      }
    }
  }

  /** p50 microseconds of a one-byte echo over one connection. */
  private static double roundTrip(int port, int trips) throws Exception {
    for (int attempt = 0; ; attempt++) {
      try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
        s.setTcpNoDelay(true);
        OutputStream out = s.getOutputStream();
        InputStream in = s.getInputStream();
        List<Double> t = new ArrayList<>();
        for (int i = 0; i < trips; i++) {
          long t0 = System.nanoTime();
          out.write('x');
          out.flush();
          if (in.read() < 0) {
            throw new IOException("closed");
          }
          t.add((System.nanoTime() - t0) / 1e3);
        }
        return median(t.subList(Math.min(100, t.size() / 2), t.size()));
      } catch (IOException notYet) {
        if (attempt > 200) {
          throw notYet;
        }
        Thread.sleep(20);
      }
    }
  }

  /** Microseconds to connect (through an HTTP CONNECT proxy when proxyPort > 0) and echo a byte. */
  private static double connectEcho(int target, int proxyPort) throws IOException {
    long t0 = System.nanoTime();
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), proxyPort > 0 ? proxyPort : target)) {
      s.setTcpNoDelay(true);
      InputStream in = s.getInputStream();
      OutputStream out = s.getOutputStream();
      if (proxyPort > 0) {
        out.write(("CONNECT 127.0.0.1:" + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + target + "\r\n\r\n")
            .getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        out.flush();
        int crlf = 0;
        for (int b; crlf < 4 && (b = in.read()) >= 0; ) { // skip the "200" response head
          crlf = (b == '\r' || b == '\n') ? crlf + 1 : 0;
        }
      }
      out.write('x');
      out.flush();
      if (in.read() < 0) {
        throw new IOException("closed");
      }
    }
    return (System.nanoTime() - t0) / 1e3;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static double median(List<Double> xs) {
    List<Double> s = new ArrayList<>(xs);
    Collections.sort(s);
    return s.get(s.size() / 2);
  }
}
