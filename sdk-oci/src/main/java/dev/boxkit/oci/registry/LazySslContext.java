package dev.boxkit.oci.registry;

import java.security.KeyManagementException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Objects;
import java.util.function.Supplier;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;

/**
 * An {@link SSLContext} that creates the context it stands for on first use. Creating the JVM's
 * default context reads and parses the whole CA trust store (a third of a second of a short
 * command's start-up); a client that only talks to OCI layouts or plain-HTTP registries never
 * needs it. {@code java.net.http.HttpClient} asks its context only for an engine per TLS
 * connection, and for the default parameters at construction unless it is given some: pair
 * this context with {@link #deferredParameters()}.
 */
final class LazySslContext extends SSLContext {

  private LazySslContext(Supplier<SSLContext> real) {
    super(new Spi(real), null, "Default");
  }

  /** @return a context standing for {@link SSLContext#getDefault()}, created on first use */
  static SSLContext ofDefault() {
    return of(() -> {
      try {
        return SSLContext.getDefault();
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("no default TLS context in this JVM", e);
      }
    });
  }

  /**
   * @param real creates the context on first use (called at most once, from any thread); must
   *     not return null
   * @return the lazy context
   */
  static SSLContext of(Supplier<SSLContext> real) {
    return new LazySslContext(Objects.requireNonNull(real, "real"));
  }

  /**
   * @return parameters that leave protocols and cipher suites unset, so each engine keeps the
   *     real context's defaults; giving them to the HTTP client spares it asking the context
   */
  static SSLParameters deferredParameters() {
    return new SSLParameters();
  }

  private static final class Spi extends SSLContextSpi {
    private final Supplier<SSLContext> create;
    private volatile SSLContext real;

    Spi(Supplier<SSLContext> create) {
      this.create = create;
    }

    private SSLContext real() {
      SSLContext r = real;
      if (r == null) {
        synchronized (this) {
          r = real;
          if (r == null) {
            r = Objects.requireNonNull(create.get(), "TLS context");
            real = r;
          }
        }
      }
      return r;
    }

    @Override
    protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom random)
        throws KeyManagementException {
      throw new KeyManagementException("a lazily created TLS context is initialised by its supplier");
    }

    @Override
    protected SSLSocketFactory engineGetSocketFactory() {
      return real().getSocketFactory();
    }

    @Override
    protected SSLServerSocketFactory engineGetServerSocketFactory() {
      return real().getServerSocketFactory();
    }

    @Override
    protected SSLEngine engineCreateSSLEngine() {
      return real().createSSLEngine();
    }

    @Override
    protected SSLEngine engineCreateSSLEngine(String host, int port) {
      return real().createSSLEngine(host, port);
    }

    @Override
    protected SSLSessionContext engineGetServerSessionContext() {
      return real().getServerSessionContext();
    }

    @Override
    protected SSLSessionContext engineGetClientSessionContext() {
      return real().getClientSessionContext();
    }

    @Override
    protected SSLParameters engineGetDefaultSSLParameters() {
      return real().getDefaultSSLParameters();
    }

    @Override
    protected SSLParameters engineGetSupportedSSLParameters() {
      return real().getSupportedSSLParameters();
    }
  }
}
