package dev.boxkit.oci.registry;

import static dev.boxkit.oci.registry.RegistryClient.enc;
import static dev.boxkit.oci.registry.RegistryClient.pushScope;

import dev.boxkit.oci.Digest;
import dev.boxkit.oci.ImageReference;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One blob upload (distribution-spec {@code spec.md}, "Pushing blobs"): a cross-repository mount
 * when asked, else {@code POST} then one {@code PUT} (monolithic) or {@code PATCH} chunks with
 * {@code Content-Range} and a closing {@code PUT}; after a failed chunk the upload's status is
 * asked and the upload resumes where the registry stands, never replaying a chunk; a failed final
 * {@code PUT} is followed by a {@code HEAD} before anything is retried. The state machine of
 * {@link RegistryClient#pushBlob}; one instance per call.
 */
final class BlobUpload {
  private static final Logger LOG = LoggerFactory.getLogger(BlobUpload.class);

  private final RegistryClient client;
  private final HttpTransport transport;
  private final BlobProgress.Listener progress;
  private final long monolithicMaxBytes;
  private final long chunkSizeBytes;

  BlobUpload(RegistryClient client, HttpTransport transport, BlobProgress.Listener progress,
      long monolithicMaxBytes, long chunkSizeBytes) {
    this.client = client;
    this.transport = transport;
    this.progress = progress;
    this.monolithicMaxBytes = monolithicMaxBytes;
    this.chunkSizeBytes = chunkSizeBytes;
  }

  /** @see RegistryClient#pushBlob(ImageReference, Digest, long, BlobSource, String) */
  RegistryClient.PushResult push(ImageReference repository, Digest digest, long sizeBytes,
      BlobSource content, String mountFrom) {
    String subject = repository.name() + "@" + digest;
    if (client.checkBlob(repository, digest).isPresent()) {
      progress.onProgress(new BlobProgress(digest, sizeBytes, 0, BlobProgress.Kind.SKIPPED));
      return RegistryClient.PushResult.EXISTED;
    }
    RegistryException lastFailure = null;
    for (int attempt = 1; attempt <= transport.retryPolicy().maxAttempts(); attempt++) {
      URI location;
      if (mountFrom != null && !mountFrom.equals(repository.repository())) {
        URI mountUri = URI.create(client.base(repository) + "/v2/" + repository.repository()
            + "/blobs/uploads/?mount=" + enc(digest.toString()) + "&from=" + enc(mountFrom));
        List<String> scopes = List.of(pushScope(repository),
            "repository:" + mountFrom + ":pull");
        HttpTransport.Response r = transport.send(client.call("POST", mountUri, repository, scopes,
            Map.of(), null, true, subject));
        if (r.status() == 201) {
          r.close();
          LOG.debug("{}: mounted from {}", subject, mountFrom);
          progress.onProgress(new BlobProgress(digest, sizeBytes, 0, BlobProgress.Kind.MOUNTED));
          return RegistryClient.PushResult.MOUNTED;
        }
        location = uploadLocation(r, subject);
      } else {
        location = startUpload(repository, subject);
      }
      try {
        if (sizeBytes <= monolithicMaxBytes) {
          if (putMonolithic(repository, location, digest, sizeBytes, content, subject)) {
            return RegistryClient.PushResult.UPLOADED;
          }
        } else if (putChunked(repository, location, digest, sizeBytes, content, subject)) {
          return RegistryClient.PushResult.UPLOADED;
        }
      } catch (RegistryException e) {
        if (!e.isTemporary() && !e.hasCode(RegistryError.BLOB_UPLOAD_UNKNOWN)
            && !e.hasCode(RegistryError.BLOB_UPLOAD_INVALID)) {
          throw e;
        }
        lastFailure = e;
      }
      if (attempt < transport.retryPolicy().maxAttempts()) {
        LOG.debug("{}: upload failed, starting it again", subject);
        sleep(transport.retryPolicy().backoffAfter(attempt));
      }
    }
    throw lastFailure != null ? lastFailure
        : new RegistryException(subject, "upload failed", 0, List.of(), null);
  }

  private URI startUpload(ImageReference repository, String subject) {
    URI uri = URI.create(client.base(repository) + "/v2/" + repository.repository() + "/blobs/uploads/");
    // Retrying a POST is safe here: an abandoned upload session holds no data.
    HttpTransport.Response r = transport.send(client.call("POST", uri, repository,
        List.of(pushScope(repository)), Map.of(), null, true, subject));
    return uploadLocation(r, subject);
  }

  private static URI uploadLocation(HttpTransport.Response r, String subject) {
    if (r.status() != 202) {
      throw HttpTransport.error(r, subject, "starting upload");
    }
    String location = r.header("Location").orElse(null);
    r.close();
    if (location == null) {
      throw new RegistryException(subject, "upload started without a Location", 202, List.of(), null);
    }
    return r.uri().resolve(location);
  }

  /** @return true when the blob is stored; false when the upload must start again */
  private boolean putMonolithic(ImageReference repository, URI location, Digest digest,
      long sizeBytes, BlobSource content, String subject) {
    URI put = withDigest(location, digest);
    HttpTransport.Response r;
    try {
      r = transport.send(client.call("PUT", put, repository, List.of(pushScope(repository)),
          Map.of("Content-Type", "application/octet-stream"),
          () -> publisher(content, 0, sizeBytes, digest, sizeBytes), false, subject));
    } catch (RegistryException e) {
      return blobArrivedAnyway(repository, digest, e);
    }
    return finishPut(repository, digest, sizeBytes, r, subject);
  }

  private boolean finishPut(ImageReference repository, Digest digest, long sizeBytes,
      HttpTransport.Response r, String subject) {
    if (r.status() == 201) {
      r.close();
      progress.onProgress(new BlobProgress(digest, sizeBytes, sizeBytes, BlobProgress.Kind.DONE));
      return true;
    }
    RegistryException e = HttpTransport.error(r, subject, "completing upload");
    return blobArrivedAnyway(repository, digest, e);
  }

  /** A final PUT failed: the first try may still have landed, so look before trying again. */
  private boolean blobArrivedAnyway(ImageReference repository, Digest digest, RegistryException e) {
    if (!e.isTemporary() && !e.hasCode(RegistryError.BLOB_UPLOAD_UNKNOWN)) {
      throw e;
    }
    if (client.checkBlob(repository, digest).isPresent()) {
      progress.onProgress(new BlobProgress(digest, -1, -1, BlobProgress.Kind.DONE));
      return true;
    }
    throw e;
  }

  private boolean putChunked(ImageReference repository, URI location, Digest digest,
      long sizeBytes, BlobSource content, String subject) {
    long offset = 0;
    int failures = 0;
    while (offset < sizeBytes) {
      long end = chunkEnd(offset, chunkSizeBytes, sizeBytes);
      long start = offset;
      HttpTransport.Response r = null;
      RegistryException failure;
      try {
        r = transport.send(client.call("PATCH", location, repository, List.of(pushScope(repository)),
            Map.of("Content-Type", "application/octet-stream",
                "Content-Range", start + "-" + (end - 1)),
            () -> publisher(content, start, end - start, digest, sizeBytes), false, subject));
        if (r.status() == 202) {
          location = uploadLocationAfterPatch(r, location);
          r.close();
          offset = end;
          continue;
        }
        failure = HttpTransport.error(r, subject, "uploading bytes " + start + "-" + (end - 1));
      } catch (RegistryException e) {
        failure = e;
      }
      if (!failure.isTemporary() || ++failures >= transport.retryPolicy().maxAttempts()) {
        throw failure;
      }
      // Never replay the chunk: ask where the upload stands and go on from there.
      sleep(transport.retryPolicy().backoffAfter(failures));
      HttpTransport.Response status = transport.send(client.call("GET", location, repository,
          List.of(pushScope(repository)), Map.of(), null, true, subject));
      if (status.status() != 204) {
        LOG.debug("{}: upload status answered {}", subject, status.status());
        status.close();
        return false;
      }
      location = uploadLocationAfterPatch(status, location);
      offset = status.header("Range").map(BlobUpload::rangeEnd).orElse(0L);
      status.close();
      LOG.debug("{}: resuming upload at byte {}", subject, offset);
    }
    HttpTransport.Response r;
    try {
      r = transport.send(client.call("PUT", withDigest(location, digest), repository,
          List.of(pushScope(repository)), Map.of(), null, false, subject));
    } catch (RegistryException e) {
      return blobArrivedAnyway(repository, digest, e);
    }
    return finishPut(repository, digest, sizeBytes, r, subject);
  }

  /**
   * @return the end (exclusive) of the chunk that starts at {@code offset}: {@code offset +
   *     chunkBytes}, or {@code sizeBytes} when that is nearer; never overflows, even with the
   *     default chunk size of {@link Long#MAX_VALUE} and an upload resumed past byte 0
   */
  static long chunkEnd(long offset, long chunkBytes, long sizeBytes) {
    return sizeBytes - offset <= chunkBytes ? sizeBytes : offset + chunkBytes;
  }

  private static URI uploadLocationAfterPatch(HttpTransport.Response r, URI previous) {
    return r.header("Location").map(l -> r.uri().resolve(l)).orElse(previous);
  }

  /** @return the number of bytes a {@code Range: 0-N} header says the registry has (N + 1) */
  static long rangeEnd(String range) {
    String v = range.strip();
    if (v.startsWith("bytes=")) {
      v = v.substring(6);
    }
    int dash = v.indexOf('-');
    long last = Long.parseLong(v.substring(dash + 1).strip());
    long first = Long.parseLong(v.substring(0, dash).strip());
    // "0-0" is what distribution answers for an empty upload.
    return last == 0 && first == 0 ? 0 : last + 1;
  }

  private HttpRequest.BodyPublisher publisher(BlobSource content, long offset, long length,
      Digest digest, long sizeBytes) {
    if (length == 0) {
      // The empty blob (e.g. an empty config) still needs its PUT, with Content-Length: 0.
      return HttpRequest.BodyPublishers.noBody();
    }
    return HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> {
      try {
        return new BoundedInputStream(content.open(offset), length, offset, sent -> progress.onProgress(
            new BlobProgress(digest, sizeBytes, sent, BlobProgress.Kind.BYTES)));
      } catch (IOException e) {
        throw new UncheckedIOException("reading blob " + digest + " at byte " + offset, e);
      }
    }), length);
  }

  private static URI withDigest(URI location, Digest digest) {
    String s = location.toString();
    return URI.create(s + (location.getRawQuery() == null ? "?" : "&") + "digest=" + enc(digest.toString()));
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new RegistryException("upload", "interrupted", 0, List.of(), e);
    }
  }

  /**
   * Reads at most {@code limit} bytes of the wrapped stream, then reports its end; reports the
   * position in the blob every {@link RegistryClient#PROGRESS_STEP_BYTES} and at the end.
   */
  private static final class BoundedInputStream extends InputStream {
    private final InputStream in;
    private final java.util.function.LongConsumer progress;
    private long left;
    private long position;
    private long reported;

    BoundedInputStream(InputStream in, long limit, long start, java.util.function.LongConsumer progress) {
      this.in = in;
      this.left = limit;
      this.position = start;
      this.reported = start;
      this.progress = progress;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (left <= 0) {
        return -1;
      }
      int n = in.read(b, off, (int) Math.min(len, left));
      if (n > 0) {
        left -= n;
        position += n;
        if (position - reported >= RegistryClient.PROGRESS_STEP_BYTES || left == 0) {
          reported = position;
          progress.accept(position);
        }
      }
      return n;
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
