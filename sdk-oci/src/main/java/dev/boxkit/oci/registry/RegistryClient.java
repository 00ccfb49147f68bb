package dev.boxkit.oci.registry;

import dev.boxkit.oci.Digest;
import dev.boxkit.oci.DigestMismatchException;
import dev.boxkit.oci.ImageReference;
import dev.boxkit.oci.InvalidInputException;
import dev.boxkit.oci.MediaType;
import dev.boxkit.oci.io.StagedFile;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import com.fasterxml.jackson.databind.JsonNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A client of one or more OCI distribution-spec registries: blobs (check, fetch, push, mount),
 * manifests (fetch, push) and tags. Thread-safe; one instance can serve many transfers and keeps
 * bearer tokens until they expire.
 *
 * <p>Every blob and manifest it reads is verified against its digest and size while streaming;
 * a blob fetched to a file appears there only once verified. Temporary failures (no response,
 * connection reset, 408, 429, 5xx) of idempotent steps are retried per the {@link RetryPolicy};
 * uploads never replay a {@code PATCH}: they ask the registry where the upload stands.
 *
 * <p>Repository-level operations take an {@link ImageReference} and use only its registry and
 * repository.
 *
 * <p>Blob downloads go through {@link java.net.HttpURLConnection}, read in the calling thread;
 * everything else through {@code java.net.http}. Both use the JVM's default {@link
 * java.net.ProxySelector}.
 */
public final class RegistryClient {
  private static final Logger LOG = LoggerFactory.getLogger(RegistryClient.class);
  /** Manifests larger than this are refused (containerd uses the same bound). */
  public static final long MAX_MANIFEST_BYTES = 4L * 1024 * 1024;
  private static final String MANIFEST_ACCEPT = String.join(", ", MediaType.OCI_MANIFEST,
      MediaType.OCI_INDEX, MediaType.DOCKER_MANIFEST, MediaType.DOCKER_MANIFEST_LIST);
  private static final Pattern LINK_NEXT = Pattern.compile("<([^>]+)>\\s*;\\s*rel=\"?next\"?");
  /** Bytes between two progress events of one blob transfer. */
  static final int PROGRESS_STEP_BYTES = 1024 * 1024;

  private final HttpTransport transport;
  private final RegistryHosts hosts;
  private final long monolithicMaxBytes;
  private final long chunkSizeBytes;
  private final int parallelism;
  private final BlobProgress.Listener progress;

  private RegistryClient(Builder b) {
    HttpClient.Builder hb = HttpClient.newBuilder()
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(b.connectTimeout);
    SSLContext tls;
    if (b.sslContext != null) {
      tls = b.sslContext;
      hb.sslContext(tls);
    } else {
      // The JVM's default context parses the whole CA store: create it on the first https
      // connection, so local layouts and plain-HTTP registries never pay for it.
      tls = LazySslContext.ofDefault();
      hb.sslContext(tls).sslParameters(LazySslContext.deferredParameters());
    }
    this.hosts = new RegistryHosts(b.insecure);
    this.transport = new HttpTransport(hb::build, b.credentials, hosts, b.retry, b.requestTimeout,
        tls, b.connectTimeout);
    this.monolithicMaxBytes = b.monolithicMaxBytes;
    this.chunkSizeBytes = b.chunkSizeBytes;
    this.parallelism = b.parallelism;
    BlobProgress.Listener listener = b.progress;
    // A failing listener must not fail a transfer.
    this.progress = event -> {
      try {
        listener.onProgress(event);
      } catch (RuntimeException e) {
        LOG.warn("progress listener failed on {}: {}", event, e.toString());
      }
    };
  }

  private RegistryClient(RegistryClient base, BlobProgress.Listener extra) {
    this.transport = base.transport;
    this.hosts = base.hosts;
    this.monolithicMaxBytes = base.monolithicMaxBytes;
    this.chunkSizeBytes = base.chunkSizeBytes;
    this.parallelism = base.parallelism;
    BlobProgress.Listener first = base.progress;
    this.progress = event -> {
      first.onProgress(event);
      try {
        extra.onProgress(event);
      } catch (RuntimeException e) {
        LOG.warn("progress listener failed on {}: {}", event, e.toString());
      }
    };
  }

  /**
   * A client sharing this one's connections, tokens and options whose progress events also go to
   * {@code listener} (after this client's own listener), e.g. to report on one push.
   *
   * @param listener receives every event of transfers made through the returned client; called
   *     from transfer threads, must be thread-safe; exceptions it throws are logged and ignored
   * @return the new client; this one is unchanged
   * @throws NullPointerException when {@code listener} is null
   */
  public RegistryClient withProgressListener(BlobProgress.Listener listener) {
    return new RegistryClient(this, Objects.requireNonNull(listener, "listener"));
  }

  /**
   * A client with the defaults of {@link Builder}, plus the insecure (plain HTTP) registries of
   * {@code registries.conf} as skopeo and podman read it (see {@link RegistriesConf#defaults()}).
   *
   * @return the client
   * @throws InvalidInputException naming {@code registries.conf} when that file is malformed
   */
  public static RegistryClient create() {
    Builder b = builder();
    RegistriesConf.defaults().forEach(b::insecureRegistry);
    return b.build();
  }

  /** @return a builder with the documented defaults */
  public static Builder builder() {
    return new Builder();
  }

  /** Options of a {@link RegistryClient}; each setter rejects bad input at once. */
  public static final class Builder {
    private CredentialsProvider credentials = null;
    private final Set<String> insecure = new HashSet<>();
    private SSLContext sslContext;
    private Duration connectTimeout = Duration.ofSeconds(10);
    private Duration requestTimeout = Duration.ofMinutes(2);
    private RetryPolicy retry = RetryPolicy.DEFAULT;
    private long monolithicMaxBytes = 32L * 1024 * 1024;
    private long chunkSizeBytes = Long.MAX_VALUE;
    private int parallelism = 4;
    private BlobProgress.Listener progress = BlobProgress.Listener.none();

    private Builder() {}

    /**
     * Where credentials come from. Default: {@link DockerConfigCredentials#fromDefaultLocations()}
     * (skopeo's {@code auth.json}, then Docker's {@code config.json}; anonymous when neither has
     * the registry).
     */
    public Builder credentials(CredentialsProvider provider) {
      this.credentials = Objects.requireNonNull(provider, "credentials");
      return this;
    }

    /**
     * Speaks plain HTTP (no TLS) to this registry, e.g. {@code 127.0.0.1:5000}, or to every port
     * of a host given without port. Nothing is insecure by default, not even 127.0.0.1.
     *
     * @throws InvalidInputException naming {@code insecureRegistry} when empty or with a scheme
     */
    public Builder insecureRegistry(String hostPort) {
      if (hostPort == null || hostPort.isEmpty() || hostPort.contains("/")) {
        throw new InvalidInputException("insecureRegistry", hostPort, "expected host[:port]");
      }
      insecure.add(hostPort);
      return this;
    }

    /** TLS trust: this context instead of the JVM's default trust store. Default: the JVM's. */
    public Builder sslContext(SSLContext context) {
      this.sslContext = Objects.requireNonNull(context, "sslContext");
      return this;
    }

    /**
     * TLS trust: the JVM's default trust store plus the certificates of this PEM file.
     *
     * @throws InvalidInputException naming {@code caCertificates} when the file cannot be read
     */
    public Builder caCertificates(Path pemFile) {
      this.sslContext = TlsTrust.withExtraCertificates(pemFile);
      return this;
    }

    /** Connection timeout, {@code > 0}. Default 10 s. */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive("connectTimeout", timeout);
      return this;
    }

    /**
     * How long to wait for a response's headers, {@code > 0}. Bodies may stream longer.
     * Default 2 min (an upload chunk must be sent within it).
     */
    public Builder requestTimeout(Duration timeout) {
      this.requestTimeout = positive("requestTimeout", timeout);
      return this;
    }

    /** Retries of temporary failures. Default {@link RetryPolicy#DEFAULT}. */
    public Builder retryPolicy(RetryPolicy policy) {
      this.retry = Objects.requireNonNull(policy, "retryPolicy");
      return this;
    }

    /**
     * Blobs up to this size go up in one {@code PUT}; larger ones in {@code PATCH} chunks.
     * {@code >= 0}; default 32 MiB.
     */
    public Builder monolithicUploadMaxBytes(long bytes) {
      if (bytes < 0) {
        throw new InvalidInputException("monolithicUploadMaxBytes", String.valueOf(bytes), "must be >= 0");
      }
      this.monolithicMaxBytes = bytes;
      return this;
    }

    /**
     * Most bytes one {@code PATCH} sends, {@code >= 1}. Default {@link Long#MAX_VALUE}: a blob
     * above {@link #monolithicUploadMaxBytes} streams in one {@code PATCH}, which resumes where
     * the registry stands when it fails, as a chunk does. Smaller chunks cost a request and a
     * wait for the registry each (300 MB in 16 MiB chunks to a local {@code docker-registry}: about
     * 1.3 s against 0.9 s in one); set a size for registries or proxies that limit request bodies.
     */
    public Builder chunkSizeBytes(long bytes) {
      if (bytes < 1) {
        throw new InvalidInputException("chunkSizeBytes", String.valueOf(bytes), "must be >= 1");
      }
      this.chunkSizeBytes = bytes;
      return this;
    }

    /** How many blobs of one image move at once, {@code 1..64}; default 4. */
    public Builder parallelism(int blobs) {
      if (blobs < 1 || blobs > 64) {
        throw new InvalidInputException("parallelism", String.valueOf(blobs), "must be 1..64");
      }
      this.parallelism = blobs;
      return this;
    }

    /** Receives an event per blob transfer step. Default: none. */
    public Builder progressListener(BlobProgress.Listener listener) {
      this.progress = Objects.requireNonNull(listener, "progressListener");
      return this;
    }

    /** @return the client */
    public RegistryClient build() {
      if (credentials == null) {
        credentials = DockerConfigCredentials.fromDefaultLocations();
      }
      return new RegistryClient(this);
    }

    private static Duration positive(String field, Duration d) {
      if (d == null || d.isNegative() || d.isZero()) {
        throw new InvalidInputException(field, String.valueOf(d), "must be > 0");
      }
      return d;
    }
  }

  int parallelism() {
    return parallelism;
  }

  BlobProgress.Listener progress() {
    return progress;
  }

  // ---------------------------------------------------------------- blobs

  /**
   * {@code HEAD /v2/<name>/blobs/<digest>}.
   *
   * @param repository registry and repository (tag/digest ignored)
   * @return the blob's size in bytes, or empty when the repository does not have it
   * @throws RegistryException on any other answer or when the registry is unreachable
   */
  public OptionalLong checkBlob(ImageReference repository, Digest digest) {
    String subject = repository.name() + "@" + digest;
    HttpTransport.Response r = transport.send(call("HEAD", blobUri(repository, digest), repository,
        pull(repository), Map.of(), null, true, subject));
    try (r) {
      if (r.status() == 200) {
        return OptionalLong.of(r.header("Content-Length").map(Long::parseLong).orElse(-1L));
      }
      if (r.status() == 404) {
        return OptionalLong.empty();
      }
      throw HttpTransport.error(r, subject, "checking blob");
    }
  }

  /**
   * Downloads a blob to {@code target}, verifying digest and size while streaming. The content
   * goes to a temporary file next to {@code target} and is renamed onto it only once verified;
   * on any failure nothing is left at or next to {@code target}. Redirects to other hosts
   * (storage backends) are followed without the registry's credentials.
   *
   * @param sizeBytes the expected size, or -1 when unknown (then only the digest is checked)
   * @throws DigestMismatchException when the content does not match {@code digest} or size
   * @throws RegistryNotFoundException when the registry does not have the blob
   * @throws RegistryException on other registry failures (after retries)
   * @throws dev.boxkit.oci.OciException when {@code target} cannot be written
   */
  public void fetchBlob(ImageReference repository, Digest digest, long sizeBytes, Path target) {
    String subject = repository.name() + "@" + digest;
    for (int attempt = 1; ; attempt++) {
      // Not synced: a blob is verified against its digest wherever it is read.
      try (StagedFile staged = StagedFile.beside(target, false)) {
        try (OutputStream out = Files.newOutputStream(staged.path())) {
          streamBlob(repository, digest, sizeBytes, out, subject);
        }
        staged.commit();
        return;
      } catch (BodyReadException e) {
        if (attempt >= transport.retryPolicy().maxAttempts()) {
          throw new RegistryException(subject, "download failed: " + e.getCause().getMessage(), 0,
              List.of(), e.getCause());
        }
        LOG.debug("{}: download broke off ({}), starting again", subject, e.getCause().toString());
      } catch (IOException e) {
        throw new dev.boxkit.oci.OciException("writing blob " + digest + " to " + target + ": " + e, e);
      }
    }
  }

  /**
   * Reads a small blob (a config) into memory, verifying digest and size.
   *
   * @param maxBytes the largest size accepted
   * @throws DigestMismatchException when the content does not match
   * @throws RegistryException on registry failures
   */
  public byte[] fetchBlobBytes(ImageReference repository, Digest digest, long sizeBytes, long maxBytes) {
    if (sizeBytes > maxBytes) {
      throw new InvalidInputException("sizeBytes", String.valueOf(sizeBytes), "above " + maxBytes);
    }
    String subject = repository.name() + "@" + digest;
    for (int attempt = 1; ; attempt++) {
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      try {
        streamBlob(repository, digest, sizeBytes < 0 ? -1 : sizeBytes, new BoundedOutputStream(out, maxBytes), subject);
        return out.toByteArray();
      } catch (BodyReadException e) {
        if (attempt >= transport.retryPolicy().maxAttempts()) {
          throw new RegistryException(subject, "download failed: " + e.getCause().getMessage(), 0,
              List.of(), e.getCause());
        }
      } catch (IOException e) {
        throw new RegistryException(subject, e.getMessage(), 0, List.of(), e);
      }
    }
  }

  /** A failure reading the response body: the download may be started again. */
  private static final class BodyReadException extends IOException {
    private static final long serialVersionUID = 1L;

    BodyReadException(IOException cause) {
      super(cause);
    }
  }

  private void streamBlob(ImageReference repository, Digest digest, long sizeBytes, OutputStream out,
      String subject) throws IOException {
    HttpTransport.Call get = call("GET", blobUri(repository, digest), repository,
        pull(repository), Map.of(), null, true, subject);
    HttpTransport.Response r = transport.send(new HttpTransport.Call(get.method(), get.uri(),
        get.registry(), get.apiAuthority(), get.scopes(), get.headers(), null, true, subject, true));
    if (r.status() != 200) {
      throw HttpTransport.error(r, subject, "fetching blob");
    }
    MessageDigest md = digest.newMessageDigest();
    long total = 0;
    long reported = 0;
    byte[] buf = new byte[HttpTransport.BUFFER_BYTES];
    try (InputStream in = r.body()) {
      while (true) {
        if (Thread.currentThread().isInterrupted()) {
          // The body is read by a blocking socket that ignores interrupts: a cancelled transfer
          // (another blob of the copy failed) stops here, its temporary file removed.
          throw new RegistryException(subject, "interrupted while downloading", 0, List.of(),
              null);
        }
        int n;
        try {
          n = in.read(buf);
        } catch (IOException e) {
          throw new BodyReadException(e);
        }
        if (n < 0) {
          break;
        }
        total += n;
        if (sizeBytes >= 0 && total > sizeBytes) {
          throw new DigestMismatchException("blob " + subject, digest,
              "more than the expected " + sizeBytes + " bytes");
        }
        md.update(buf, 0, n);
        out.write(buf, 0, n);
        if (total - reported >= PROGRESS_STEP_BYTES) {
          reported = total;
          progress.onProgress(new BlobProgress(digest, sizeBytes, total, BlobProgress.Kind.BYTES));
        }
      }
    }
    if (sizeBytes >= 0 && total != sizeBytes) {
      throw new DigestMismatchException("blob " + subject, digest,
          total + " bytes instead of " + sizeBytes);
    }
    Digest actual = Digest.fromHash(digest.algorithm(), md.digest());
    if (!actual.equals(digest)) {
      throw new DigestMismatchException("blob " + subject, digest, actual.toString());
    }
    progress.onProgress(new BlobProgress(digest, total, total, BlobProgress.Kind.DONE));
  }

  /** What {@link #pushBlob} did. */
  public enum PushResult {
    /** The content was uploaded. */
    UPLOADED,
    /** The repository already had the blob; nothing was sent. */
    EXISTED,
    /** The registry mounted the blob from another repository; nothing was sent. */
    MOUNTED
  }

  /**
   * Uploads a blob unless the repository has it ({@code HEAD} first). With {@code mountFrom} it
   * first asks the registry to mount the blob from that repository of the same registry
   * ({@code POST ...?mount=<digest>&from=<repo>}); a registry that cannot mount starts a normal
   * upload instead. Blobs up to {@link Builder#monolithicUploadMaxBytes} go up with
   * {@code POST} + one {@code PUT}; larger ones in {@code PATCH} requests with
   * {@code Content-Range} (one, unless {@link Builder#chunkSizeBytes} is set) and a closing
   * {@code PUT}; after a failed chunk the upload's status is queried and the upload
   * resumes where the registry stands (a chunk is never sent twice), or starts again when the
   * registry forgot it. A final {@code PUT} that fails is followed by a {@code HEAD} of the blob
   * before anything is retried.
   *
   * @param sizeBytes the blob's size in bytes, {@code >= 0}
   * @param mountFrom another repository of the same registry that has the blob, or null
   * @throws RegistryException when the upload fails after retries (e.g. {@code DIGEST_INVALID}
   *     when the content does not match {@code digest})
   */
  public PushResult pushBlob(ImageReference repository, Digest digest, long sizeBytes,
      BlobSource content, String mountFrom) {
    if (sizeBytes < 0) {
      throw new InvalidInputException("sizeBytes", String.valueOf(sizeBytes), "must be >= 0");
    }
    return new BlobUpload(this, transport, progress, monolithicMaxBytes, chunkSizeBytes)
        .push(repository, digest, sizeBytes, content, mountFrom);
  }

  /** Uploads {@code content} with {@link #pushBlob(ImageReference, Digest, long, BlobSource, String)}, no mount. */
  public PushResult pushBlob(ImageReference repository, Digest digest, long sizeBytes, BlobSource content) {
    return pushBlob(repository, digest, sizeBytes, content, null);
  }

  // ---------------------------------------------------------------- manifests and tags

  /**
   * {@code GET /v2/<name>/manifests/<tag or digest>} accepting OCI and Docker manifests and
   * indexes. The content is verified against the reference's digest when it has one, else
   * against {@code Docker-Content-Digest} when the registry sends it; the Content-Type must
   * agree with the document (CVE-2021-41190).
   *
   * @throws RegistryNotFoundException when the registry has no such manifest
   * @throws DigestMismatchException when the content does not match the digest
   * @throws RegistryException on other failures, or when the Content-Type and content disagree
   */
  public RegistryManifest fetchManifest(ImageReference ref) {
    String subject = ref.toString();
    HttpTransport.Response r = transport.send(call("GET", manifestUri(ref), ref, pull(ref),
        Map.of("Accept", MANIFEST_ACCEPT), null, true, subject));
    if (r.status() != 200) {
      throw HttpTransport.error(r, subject, "fetching manifest");
    }
    String contentType = ManifestCheck.bare(r.header("Content-Type").orElse(""));
    byte[] body = r.readBody(MAX_MANIFEST_BYTES, subject);
    String declared = r.header("Docker-Content-Digest").orElse(null);
    Digest expected = ref.digest() != null ? ref.digest()
        : declared != null ? Digest.parse(declared.strip()) : null;
    Digest actual = Digest.of(expected != null ? expected.algorithm() : Digest.SHA256, body);
    if (expected != null && !expected.equals(actual)) {
      throw new DigestMismatchException("manifest " + subject, expected, actual.toString());
    }
    if (contentType.isEmpty() || !(MediaType.isManifest(contentType) || MediaType.isIndex(contentType))) {
      throw new RegistryException(subject, "unsupported manifest Content-Type \"" + contentType + "\"",
          200, List.of(), null);
    }
    ManifestCheck.check(subject, contentType, body);
    return new RegistryManifest(contentType, body, actual);
  }

  /**
   * {@code HEAD /v2/<name>/manifests/<tag or digest>}.
   *
   * @return the digest the registry reports ({@code Docker-Content-Digest}, else the
   *     reference's own digest), or empty when the registry has no such manifest
   * @throws RegistryException on other failures, or when a tag's HEAD names no digest
   */
  public Optional<Digest> checkManifest(ImageReference ref) {
    String subject = ref.toString();
    HttpTransport.Response r = transport.send(call("HEAD", manifestUri(ref), ref, pull(ref),
        Map.of("Accept", MANIFEST_ACCEPT), null, true, subject));
    try (r) {
      if (r.status() == 404) {
        return Optional.empty();
      }
      if (r.status() != 200) {
        throw HttpTransport.error(r, subject, "checking manifest");
      }
      Digest d = r.header("Docker-Content-Digest").map(h -> Digest.parse(h.strip()))
          .orElse(ref.digest());
      if (d == null) {
        throw new RegistryException(subject, "manifest HEAD answered without Docker-Content-Digest",
            200, List.of(), null);
      }
      return Optional.of(d);
    }
  }

  /**
   * {@code PUT /v2/<name>/manifests/<tag or digest>}: the blobs it names must be in the
   * repository already.
   *
   * @param ref where to put it: its tag, or else its digest (which must match the content)
   * @param content the exact bytes
   * @param mediaType the manifest's media type (sent as Content-Type)
   * @return the digest of {@code content}
   * @throws RegistryException when the registry refuses it (e.g. {@code MANIFEST_BLOB_UNKNOWN})
   */
  public Digest pushManifest(ImageReference ref, byte[] content, String mediaType) {
    Digest digest = Digest.sha256(content);
    if (ref.tag() == null && ref.digest() != null && !ref.digest().equals(
        Digest.of(ref.digest().algorithm(), content))) {
      throw new InvalidInputException("reference", ref.toString(), "digest does not match the manifest");
    }
    ManifestCheck.check(ref.toString(), mediaType, content);
    String target = ref.tag() != null ? ref.tag() : ref.digest().toString();
    URI uri = URI.create(base(ref) + "/v2/" + ref.repository() + "/manifests/" + target);
    byte[] copy = content.clone();
    HttpTransport.Response r = transport.send(call("PUT", uri, ref, List.of(pushScope(ref)),
        Map.of("Content-Type", mediaType), () -> HttpRequest.BodyPublishers.ofByteArray(copy), true,
        ref.toString()));
    if (r.status() != 201) {
      throw HttpTransport.error(r, ref.toString(), "pushing manifest");
    }
    String echoed = r.header("Docker-Content-Digest").orElse(null);
    r.close();
    if (echoed != null && Digest.parse(echoed.strip()).algorithm().equals(Digest.SHA256)
        && !Digest.parse(echoed.strip()).equals(digest)) {
      throw new DigestMismatchException("manifest pushed to " + ref, digest, echoed);
    }
    return digest;
  }

  /**
   * {@code GET /v2/<name>/tags/list}, following {@code Link} pagination.
   *
   * @return the tags in the registry's order; empty when the repository has none
   * @throws RegistryNotFoundException when the repository is unknown
   */
  public List<String> listTags(ImageReference repository) {
    String subject = repository.name();
    List<String> tags = new ArrayList<>();
    URI uri = URI.create(base(repository) + "/v2/" + repository.repository() + "/tags/list");
    Set<URI> seen = new HashSet<>();
    while (uri != null && seen.add(uri)) {
      HttpTransport.Response r = transport.send(call("GET", uri, repository, pull(repository),
          Map.of(), null, true, subject));
      if (r.status() != 200) {
        throw HttpTransport.error(r, subject, "listing tags");
      }
      String link = r.header("Link").orElse(null);
      URI here = r.uri();
      byte[] body = r.readBody(MAX_MANIFEST_BYTES, subject);
      try {
        JsonNode json = dev.boxkit.oci.json.OciJson.reader().readTree(body);
        for (JsonNode t : json.path("tags")) {
          tags.add(t.asText());
        }
      } catch (IOException e) {
        throw new RegistryException(subject, "tag list is not JSON", 200, List.of(), e);
      }
      uri = null;
      if (link != null) {
        Matcher m = LINK_NEXT.matcher(link);
        if (m.find()) {
          uri = here.resolve(m.group(1));
        }
      }
    }
    return tags;
  }

  // ---------------------------------------------------------------- helpers

  HttpTransport.Call call(String method, URI uri, ImageReference ref, List<String> scopes,
      Map<String, String> headers, java.util.function.Supplier<HttpRequest.BodyPublisher> body,
      boolean retry, String subject) {
    return new HttpTransport.Call(method, uri, ref.registry(), HttpTransport.authority(base(ref)),
        scopes, new LinkedHashMap<>(headers),
        body, retry, subject, false);
  }

  URI base(ImageReference ref) {
    return hosts.base(ref);
  }

  private URI blobUri(ImageReference repo, Digest digest) {
    return URI.create(base(repo) + "/v2/" + repo.repository() + "/blobs/" + digest);
  }

  private URI manifestUri(ImageReference ref) {
    return URI.create(base(ref) + "/v2/" + ref.repository() + "/manifests/" + ref.manifestReference());
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static List<String> pull(ImageReference ref) {
    return List.of("repository:" + ref.repository() + ":pull");
  }

  static String pushScope(ImageReference ref) {
    return "repository:" + ref.repository() + ":pull,push";
  }



  /** Fails once more than {@code limit} bytes are written. */
  private static final class BoundedOutputStream extends OutputStream {
    private final OutputStream out;
    private final long limit;
    private long written;

    BoundedOutputStream(OutputStream out, long limit) {
      this.out = out;
      this.limit = limit;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      written += len;
      if (written > limit) {
        throw new IOException("blob larger than " + limit + " bytes");
      }
      out.write(b, off, len);
    }
  }
}
