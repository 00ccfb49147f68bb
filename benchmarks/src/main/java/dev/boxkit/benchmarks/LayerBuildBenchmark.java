package dev.boxkit.benchmarks;

import dev.boxkit.oci.layer.Compression;
import dev.boxkit.oci.layer.LayerBuilder;
import dev.boxkit.oci.layer.LayerDigests;
import java.io.OutputStream;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** Builds an in-memory layer of many small files: per-entry overhead (sort, pax, digests). */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class LayerBuildBenchmark {
  @Param({"1000"})
  public int files;

  @Param({"NONE", "GZIP", "ZSTD"})
  public Compression compression;

  private byte[][] contents;

  @Setup
  public void setUp() {
    Random random = new Random(42);
    contents = new byte[files][];
    for (int i = 0; i < files; i++) {
      contents[i] = new byte[random.nextInt(4096)];
      random.nextBytes(contents[i]);
    }
  }

  @Benchmark
  public LayerDigests buildSmallFiles() {
    LayerBuilder b = LayerBuilder.create().compression(compression);
    for (int i = 0; i < files; i++) {
      b.addFile("/data/d" + (i % 37) + "/file-" + i, contents[i]);
    }
    return b.writeTo(OutputStream.nullOutputStream());
  }
}
