package dev.boxkit.testing;

import dev.boxkit.oci.ContainerConfig;
import dev.boxkit.oci.Descriptor;
import dev.boxkit.oci.Digest;
import dev.boxkit.oci.Healthcheck;
import dev.boxkit.oci.History;
import dev.boxkit.oci.ImageConfig;
import dev.boxkit.oci.ImageIndex;
import dev.boxkit.oci.ImageManifest;
import dev.boxkit.oci.MediaType;
import dev.boxkit.oci.Platform;
import dev.boxkit.oci.RootFs;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/** jqwik generators of OCI model values, unknown fields included, for round-trip properties. */
public final class OciArbitraries {
  private OciArbitraries() {}

  /** @return short printable strings, including non-ASCII and JSON-escaped characters */
  public static Arbitrary<String> text() {
    return Arbitraries.strings().all().ofMaxLength(12)
        .filter(s -> s.codePoints().noneMatch(c -> Character.isSurrogate((char) c)))
        .edgeCases(c -> c.add("\"\\\n\u0000<>&é"));
  }

  /** @return sha256 digests */
  public static Arbitrary<Digest> digests() {
    return Arbitraries.bytes().array(byte[].class).ofSize(32)
        .map(b -> new Digest(Digest.SHA256, HexFormat.of().formatHex(b)));
  }

  /** @return maps of unknown fields: strings, numbers, booleans, nulls, lists, nested objects */
  public static Arbitrary<Map<String, Object>> unknownFields() {
    Arbitrary<Object> leaf = Arbitraries.oneOf(text().map(s -> (Object) s),
        Arbitraries.integers().map(i -> (Object) i), Arbitraries.of(true, false).map(b -> (Object) b),
        Arbitraries.just(null));
    Arbitrary<Object> nested = Arbitraries.oneOf(leaf,
        leaf.list().ofMaxSize(3).map(l -> (Object) l),
        Arbitraries.maps(Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(5), leaf)
            .ofMaxSize(3).map(m -> (Object) m));
    return Arbitraries.maps(Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(8)
        .map(s -> "x-" + s), nested).ofMaxSize(3);
  }

  /** @return platforms, some with variants */
  public static Arbitrary<Platform> platforms() {
    return Arbitraries.of("linux/amd64", "linux/arm64/v8", "linux/arm/v7", "linux/s390x",
        "linux/ppc64le").map(Platform::parse);
  }

  /** @return descriptors with optional urls, annotations, platform and unknown fields */
  public static Arbitrary<Descriptor> descriptors(Arbitrary<String> mediaTypes) {
    Arbitrary<Map<String, String>> annotations = Arbitraries.maps(
        Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(10), text()).ofMaxSize(3);
    Arbitrary<List<String>> urls = Arbitraries.of(List.<String>of(),
        List.of("https://example.com/blob"));
    return Combinators.combine(mediaTypes, digests(), Arbitraries.longs().between(0, 1L << 40),
        urls, annotations, platforms().injectNull(0.6), unknownFields())
        .as((mt, d, size, u, a, p, x) -> new Descriptor(mt, d, size, u, a, p, null, x));
  }

  /** @return image manifests with unknown fields at each level */
  public static Arbitrary<ImageManifest> manifests() {
    Arbitrary<Descriptor> config = descriptors(Arbitraries.just(MediaType.OCI_CONFIG));
    Arbitrary<List<Descriptor>> layers = descriptors(Arbitraries.of(MediaType.OCI_LAYER_TAR,
        MediaType.OCI_LAYER_TAR_GZIP, MediaType.OCI_LAYER_TAR_ZSTD)).list().ofMaxSize(4);
    return Combinators.combine(Arbitraries.of(MediaType.OCI_MANIFEST, MediaType.DOCKER_MANIFEST),
        config, layers, unknownFields(), Arbitraries.maps(
            Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(6), text()).ofMaxSize(2))
        .as((mt, c, l, x, a) -> new ImageManifest(2, mt, null, c, l, null, a, x));
  }

  /** @return image indexes */
  public static Arbitrary<ImageIndex> indexes() {
    return Combinators.combine(descriptors(Arbitraries.just(MediaType.OCI_MANIFEST)).list()
        .ofMaxSize(4), unknownFields())
        .as((m, x) -> new ImageIndex(2, MediaType.OCI_INDEX, null, m, null, null, x));
  }

  /** @return image configurations, with Docker fields among the unknown ones */
  public static Arbitrary<ImageConfig> configs() {
    Arbitrary<Instant> instants = Arbitraries.longs().between(0, 4_000_000_000L)
        .flatMap(s -> Arbitraries.integers().between(0, 999_999_999)
            .map(n -> Instant.ofEpochSecond(s, n)));
    Arbitrary<List<String>> args = text().list().ofMaxSize(3);
    Arbitrary<Healthcheck> health = Combinators.combine(args,
            Arbitraries.longs().between(0, 1L << 40).map(Duration::ofNanos).injectNull(0.3),
            Arbitraries.integers().between(0, 10).injectNull(0.3), unknownFields())
        .as((t, i, r, x) -> new Healthcheck(t, i, i, null, r, x));
    Arbitrary<ContainerConfig> cc = Combinators.combine(
            Arbitraries.strings().alpha().numeric().ofMaxLength(8).injectNull(0.3),
            Arbitraries.of("80/tcp", "53/udp", "8080/tcp").set().ofMaxSize(2),
            Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(5).map(n -> n + "=v").list()
                .ofMaxSize(3),
            args.injectNull(0.3), args.injectNull(0.3),
            Arbitraries.strings().withCharRange('a', 'z').ofMaxLength(5).map(s -> "/" + s)
                .injectNull(0.5),
            Arbitraries.maps(Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(5), text())
                .ofMaxSize(3),
            health.injectNull(0.5))
        .as((u, p, e, ep, cmd, wd, l, h) -> new ContainerConfig(u, p, e, ep, cmd, null, wd, l,
            null, null, h, null));
    Arbitrary<List<History>> history = Combinators.combine(instants.injectNull(0.3),
            text().injectNull(0.3), Arbitraries.of(true, false), unknownFields())
        .as((c, by, empty, x) -> new History(c, by, null, null, empty, x)).list().ofMaxSize(3);
    return Combinators.combine(instants.injectNull(0.3), platforms(), cc,
            digests().list().ofMaxSize(3), history, unknownFields(), unknownFields())
        .as((created, p, c, diffs, h, x, ccx) -> new ImageConfig(created, null,
            p.architecture(), p.os(), null, null, p.variant(),
            new ContainerConfig(c.user(), c.exposedPorts(), c.env(), c.entrypoint(), c.cmd(),
                c.volumes(), c.workingDir(), c.labels(), c.stopSignal(), c.argsEscaped(),
                c.healthcheck(), ccx),
            RootFs.of(diffs), h, x));
  }
}
