package dev.boxkit.oci.registry;

import dev.boxkit.oci.InvalidInputException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/** TLS trust: the JVM's default trust store plus user-supplied CA certificates. */
final class TlsTrust {
  private TlsTrust() {}

  static SSLContext withExtraCertificates(Path pemFile) {
    try (InputStream in = Files.newInputStream(pemFile)) {
      Collection<? extends Certificate> certs =
          CertificateFactory.getInstance("X.509").generateCertificates(in);
      if (certs.isEmpty()) {
        throw new InvalidInputException("caCertificates", pemFile.toString(), "no certificate in file");
      }
      KeyStore extra = KeyStore.getInstance(KeyStore.getDefaultType());
      extra.load(null, null);
      int i = 0;
      for (Certificate c : certs) {
        extra.setCertificateEntry("ca-" + i++, c);
      }
      X509TrustManager custom = trustManager(extra);
      X509TrustManager system = trustManager(null);
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, new TrustManager[] {new Either(system, custom)}, null);
      return ctx;
    } catch (IOException | GeneralSecurityException e) {
      throw new InvalidInputException("caCertificates", pemFile.toString(), e.getMessage());
    }
  }

  private static X509TrustManager trustManager(KeyStore ks) throws GeneralSecurityException {
    TrustManagerFactory f = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    f.init(ks);
    for (TrustManager tm : f.getTrustManagers()) {
      if (tm instanceof X509TrustManager x) {
        return x;
      }
    }
    throw new GeneralSecurityException("no X509TrustManager");
  }

  /** Trusts a server chain that either manager trusts. */
  private record Either(X509TrustManager first, X509TrustManager second) implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      try {
        first.checkClientTrusted(chain, authType);
      } catch (CertificateException e) {
        second.checkClientTrusted(chain, authType);
      }
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      try {
        first.checkServerTrusted(chain, authType);
      } catch (CertificateException e) {
        second.checkServerTrusted(chain, authType);
      }
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      List<X509Certificate> all = new ArrayList<>(List.of(first.getAcceptedIssuers()));
      all.addAll(List.of(second.getAcceptedIssuers()));
      return all.toArray(new X509Certificate[0]);
    }
  }
}
