package dev.boxkit.sandbox.internal.egress;

import dev.boxkit.sandbox.EgressEvent;
import dev.boxkit.sandbox.EgressPolicy;
import dev.boxkit.sandbox.SandboxSpec;
import java.net.InetAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One sandbox's egress allow-list, as every backend runs it: the {@link EgressProxy} on the
 * host's loopback (resolving the policy's pinned hosts first), the refusals it recorded, and the
 * environment that points programs at the proxy's stand-in inside the sandbox ({@link
 * #SANDBOX_PORT} on the sandbox's own loopback, which the backend forwards to {@link #hostPort()}).
 * Not an API.
 */
public final class SandboxEgress implements AutoCloseable {
  /** The proxy's port on the sandbox's own loopback (Squid's customary port). */
  public static final int SANDBOX_PORT = 3128;

  private final EgressProxy proxy;
  private final List<EgressEvent> denied = Collections.synchronizedList(new ArrayList<>());

  private SandboxEgress(EgressPolicy policy, Consumer<EgressEvent> listener) {
    Resolver pinnedFirst = host -> {
      List<InetAddress> pinned = policy.pinnedHosts().get(host.toLowerCase(Locale.ROOT));
      return pinned != null ? pinned : Resolver.system().resolve(host);
    };
    this.proxy = EgressProxy.start(policy, pinnedFirst, e -> {
      denied.add(e);
      if (listener != null) {
        listener.accept(e);
      }
    });
  }

  /**
   * Starts the proxy for {@code spec}'s allow-list.
   *
   * @throws dev.boxkit.sandbox.SandboxException when the proxy cannot listen
   */
  public static SandboxEgress start(SandboxSpec spec) {
    return new SandboxEgress(spec.egress(), spec.egressListener());
  }

  /** @return the proxy's port on the host's loopback */
  public int hostPort() {
    return proxy.port();
  }

  /** @return the refusals so far, oldest first (a snapshot) */
  public List<EgressEvent> denied() {
    synchronized (denied) {
      return List.copyOf(denied);
    }
  }

  /**
   * The spec with the proxy variables set ({@code HTTP_PROXY}, {@code HTTPS_PROXY}, {@code
   * ALL_PROXY} in both cases, {@code NO_PROXY} for loopback, and the JVM's proxy properties
   * appended to {@code JAVA_TOOL_OPTIONS}), where the spec does not set them itself. Programs
   * that honour them go through the proxy; any other connection has no route.
   */
  public static SandboxSpec withProxyEnv(SandboxSpec spec) {
    String url = "http://127.0.0.1:" + SANDBOX_PORT;
    SandboxSpec.Builder b = spec.toBuilder();
    Map<String, String> env = spec.env();
    for (String k : List.of("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")) {
      if (!env.containsKey(k)) {
        b.env(k, url);
      }
    }
    for (String k : List.of("NO_PROXY", "no_proxy")) {
      if (!env.containsKey(k)) {
        b.env(k, "localhost,127.0.0.1,::1");
      }
    }
    String javaOpts = "-Dhttp.proxyHost=127.0.0.1 -Dhttp.proxyPort=" + SANDBOX_PORT
        + " -Dhttps.proxyHost=127.0.0.1 -Dhttps.proxyPort=" + SANDBOX_PORT
        + " -Dhttp.nonProxyHosts=localhost|127.0.0.1";
    String existing = env.get("JAVA_TOOL_OPTIONS");
    b.env("JAVA_TOOL_OPTIONS", existing == null || existing.isBlank() ? javaOpts : existing + " " + javaOpts);
    return b.build();
  }

  /** Stops the proxy and every connection through it. */
  @Override
  public void close() {
    proxy.close();
  }
}
