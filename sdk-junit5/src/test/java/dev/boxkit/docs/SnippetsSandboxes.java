package dev.boxkit.docs;

import dev.boxkit.image.Image;
import dev.boxkit.oci.unpack.RootfsCache;
import dev.boxkit.sandbox.EgressPolicy;
import dev.boxkit.sandbox.ExecResult;
import dev.boxkit.sandbox.Mount;
import dev.boxkit.sandbox.NetworkMode;
import dev.boxkit.sandbox.ResourceLimits;
import dev.boxkit.sandbox.Rootfs;
import dev.boxkit.sandbox.Sandbox;
import dev.boxkit.sandbox.SandboxSpec;
import dev.boxkit.sandbox.Stdio;
import dev.boxkit.sandbox.SandboxNetwork;
import dev.boxkit.sandbox.SandboxPool;
import dev.boxkit.sandbox.SandboxProcess;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/** Snippets of running-sandboxes.md. */
final class SnippetsSandboxes {
  private SnippetsSandboxes() {}

  static ExecResult spec(Path project, Path log) {
    // tag::spec[]
    SandboxSpec spec = Sandbox.builder()
        .root(Rootfs.hostReadOnly())                       // the default: host programs usable, nothing writable
        .command("make", "test")                           // looked up on the sandbox's PATH
        .env("PATH", "/usr/bin:/bin")                      // nothing is inherited from the JVM
        .workingDir("/src")
        .user(1000, 1000)
        .hostname("build")
        .mounts(List.of(
            Mount.proc(),
            Mount.devMinimal(),
            Mount.tmpfs("/tmp", 64L << 20),                  // 64 MiB
            Mount.bind(project, "/src").readWrite(),       // the one writable host directory
            Mount.tmpfs("/root", 1L << 20)))               // hide the host's /root
        .network(NetworkMode.NONE)
        .limits(ResourceLimits.builder()
            .timeout(Duration.ofMinutes(5))                // then the whole sandbox is killed
            .openFiles(1024)
            .build())
        .stderr(Stdio.file(log))
        .build();
    ExecResult r = Sandbox.run(spec);
    // end::spec[]
    return r;
  }

  static String publishedPort(Path work) throws Exception {
    // tag::published-port[]
    Path site = Files.createDirectories(work.resolve("site"));
    Files.writeString(site.resolve("index.html"), "hello through a published port\n");
    try (SandboxProcess web = Sandbox.builder()
        .command("busybox", "httpd", "-f", "-p", "8080", "-h", "/srv")
        .env("PATH", "/usr/bin:/bin")
        .mounts(List.of(Mount.proc(), Mount.devMinimal(), Mount.bind(site, "/srv")))
        .publish(8080)                                     // a free host port; publish(8080, 8080) fixes it
        .start()) {
      int port = web.mappedPort(8080);                     // 127.0.0.1:port listens from now on
      HttpClient http = HttpClient.newHttpClient();
      HttpRequest get = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/index.html")).build();
      for (int attempt = 1; ; attempt++) {
        try {
          return http.send(get, HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException notYet) {                    // closed: httpd inside does not listen yet
          if (attempt == 200) {
            throw notYet;
          }
          Thread.sleep(50);
        }
      }
    }                                                      // closing the sandbox closes the port
    // end::published-port[]
  }

  static String sharedNetwork(Path work) throws Exception {
    // tag::shared-network[]
    Path site = Files.createDirectories(work.resolve("net-site"));
    Files.writeString(site.resolve("index.html"), "hello from web\n");
    try (SandboxNetwork net = SandboxNetwork.create("it");
         SandboxProcess web = Sandbox.builder().network(net).hostname("web") // reachable as "web"
             .command("busybox", "httpd", "-f", "-p", "8080", "-h", "/srv")
             .env("PATH", "/usr/bin:/bin")
             .mounts(List.of(Mount.proc(), Mount.devMinimal(), Mount.bind(site, "/srv")))
             .start()) {
      ExecResult r = Sandbox.builder().network(net).hostname("client")
          .command("curl", "-s", "--retry", "10", "--retry-connrefused", "http://web:8080/")
          .env("PATH", "/usr/bin:/bin")
          .run();
      return r.stdoutText();                               // "hello from web"
    }
    // end::shared-network[]
  }

  static ExecResult egress() {
    // tag::egress[]
    ExecResult r = Sandbox.builder()
        .command("curl", "-sS", "https://repo.maven.apache.org/maven2/")
        .env("PATH", "/usr/bin:/bin")
        .egress(EgressPolicy.allow("repo.maven.apache.org:443", "*.maven.org:443"))
        .onEgressDenied(e -> System.err.println("refused " + e.host() + ": " + e.reason()))
        .run();                                            // r.egressDenied(): every refusal
    // end::egress[]
    return r;
  }

  static void pool() {
    // tag::pool[]
    SandboxSpec base = Sandbox.builder()
        .command("/bin/true")                              // each run names its own program
        .env("PATH", "/usr/bin:/bin")
        .mount(Mount.tmpfs("/tmp", 16L << 20))
        .build();
    try (SandboxPool pool = Sandbox.pool(base, 4)) {       // 4 sandboxes set up ahead, refilled in the background
      ExecResult hello = pool.run("echo", "hello");        // a sandbox of its own, used once
      ExecResult greet = pool.run(pool.spec().toBuilder()  // only argv, env, stdin and the timeout may differ
          .command("sh", "-c", "echo $GREETING > /tmp/left-behind; cat /tmp/left-behind")
          .env("GREETING", "hi")
          .limits(ResourceLimits.builder().timeout(Duration.ofSeconds(10)).build())
          .build());
      System.out.print(hello.stdoutText() + greet.stdoutText()); // hello, hi
    }
    // end::pool[]
  }

  static void result(ExecResult r) {
    // tag::result[]
    if (!r.succeeded()) {
      System.out.println("exit " + r.exitCode()
          + r.signal().stream().mapToObj(s -> " (signal " + s + ")").findFirst().orElse("")
          + (r.timedOut() ? " after the timeout" : "")
          + (r.oomKilled() ? ", out of memory" : ""));
    }
    System.out.println(r.stdoutText() + " in " + r.wallTime().toMillis() + " ms");
    // end::result[]
  }

  static ExecResult imageSandbox(Image image) {
    // tag::image-sandbox[]
    ExecResult r = Sandbox.builder()
        .image(image)                  // root, Entrypoint + Cmd, Env, WorkingDir, User from the image
        .command("--verbose")          // replaces Cmd; .entrypoint(...) replaces both
        .env("MODE", "test")           // on top of the image's Env
        .network(NetworkMode.NONE)
        .run();                        // writes went to a throwaway overlay layer
    // end::image-sandbox[]
    return r;
  }

  static ExecResult imageRoot(Image image) {
    // tag::image-root[]
    Path tree = image.rootfs(RootfsCache.open(RootfsCache.defaultRoot())).rootfs(); // unpacked once
    ExecResult r = Sandbox.builder()
        .root(Rootfs.directory(tree))                      // read-only; needs /proc, /dev, /tmp in the image
        .argv(image.config().config().entrypoint())
        .mounts(List.of(Mount.proc(), Mount.devMinimal(), Mount.tmpfs("/tmp", 16L << 20)))
        .run();
    // end::image-root[]
    return r;
  }

  static ExecResult memory() {
    // tag::memory[]
    ExecResult r = Sandbox.builder()
        .command("/usr/bin/make")
        .limits(ResourceLimits.builder()
            .memoryBytes(512L << 20)                       // cgroup memory.max, swap included
            .pidsMax(256)                                  // cgroup pids.max
            .cpuQuota(50_000, 100_000)                     // half a CPU
            .build())
        .run();                                            // refused, not run uncapped, without a usable cgroup
    // end::memory[]
    return r;
  }

  static ExecResult devices() {
    // tag::devices[]
    ExecResult r = Sandbox.builder()
        .command("nvidia-smi", "-L")
        .env("PATH", "/usr/bin:/bin")
        .device("nvidia.com/gpu=all")                      // CDI: every GPU its spec lists
        .mount(Mount.device(Path.of("/dev/fuse")))         // one host device node, at /dev/fuse
        .run();
    // end::devices[]
    return r;
  }
}

