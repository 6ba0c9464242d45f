package io.salientstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.salientstream.analyzer.ExperimentHeader;
import io.salientstream.analyzer.StepRows;
import io.salientstream.core.adalora.AdaLoraImportance;
import io.salientstream.core.adalora.AdaLoraPolicy;
import io.salientstream.core.lora.FixedRankLora;
import io.salientstream.core.policy.AdapterLayout;
import io.salientstream.core.policy.BinaryState;
import io.salientstream.core.policy.Policies;
import io.salientstream.core.policy.RankPolicy;
import io.salientstream.core.policy.StepInput;
import io.salientstream.core.prilora.PriLoraPolicy;
import io.salientstream.core.salient.SalientLoraPolicy;
import io.salientstream.pruner.RankPattern;
import io.salientstream.streams.ParkingLot;
import io.salientstream.streams.Position;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every layout of stored state — policy snapshots (analyzer stores, trainer checkpoints) and the
 * Streams apps' store values — against committed fixture files {@code
 * src/test/resources/state-fixtures/<TYPE>-v<version>.bin}, written by the layouts of the version
 * in their name:
 *
 * <ul>
 *   <li>a fixture of a layout this build writes restores, re-encodes to the same bytes, and equals
 *       what this build writes for the same state (so a layout cannot change without a new version
 *       number);
 *   <li>a fixture of any other version (kept when a layout changes) is read or refused with an
 *       error naming its version — never misread;
 *   <li>every current layout has its fixture.
 * </ul>
 *
 * After a layout change (new version number), add the new fixtures without deleting the old ones:
 * {@code ./mvnw -B -pl cli -am test -Dtest=StateFixturesTest
 * -Dsurefire.failIfNoSpecifiedTests=false
 * -Dsalientstream.state-fixtures.write=$PWD/services/src/test/resources/state-fixtures}.
 */
class StateFixturesTest {

  /**
   * One stored layout: its format, this build's bytes for a fixed state, and "restore, then encode
   * again".
   */
  record Layout(
      BinaryState.Format format, Supplier<byte[]> current, UnaryOperator<byte[]> reencode) {}

  static final AdapterLayout SVD = AdapterLayout.uniform(12, 6, 32, 32, 6); // N = 72
  static final AdapterLayout BA = AdapterLayout.uniform(8, 2, 6, 10, 3);
  static final AdapterLayout SMALL = AdapterLayout.uniform(4, 2, 8, 8, 3);

  static Map<String, String> salientParams() {
    return Map.of(
        "mode",
        "clean",
        "totalSteps",
        "300",
        "initialWarmup",
        "40",
        "finalSteps",
        "60",
        "targetRank",
        "2",
        "threads",
        "1");
  }

  static Map<String, String> adaParams() {
    return Map.of(
        "totalSteps", "400", "tInit", "40", "tFinal", "100", "deltaT", "10", "targetRank", "2");
  }

  static Map<String, String> priParams() {
    return Map.of(
        "pruneRatio",
        "0.5",
        "pruneInterval",
        "10",
        "grouping",
        "matrix",
        "regrowth",
        "false",
        "ratioSchedule",
        "linear",
        "pruneEnd",
        "100");
  }

  /**
   * A policy fed fixed pseudo-random inputs for {@code steps} steps (enough for at least one
   * decision).
   */
  static RankPolicy advanced(
      String name, Map<String, String> params, AdapterLayout layout, int steps) {
    RankPolicy p = Policies.create(name, params, layout);
    SplittableRandom rnd = new SplittableRandom(2026);
    int n = p.layout().totalRank();
    double[] walk = new double[n];
    for (int i = 0; i < n; i++) {
      walk[i] = 0.5 + rnd.nextDouble();
    }
    for (long s = 0; s < steps; s++) {
      StepInput in;
      switch (name) {
        case "salientlora" -> {
          double[] v = new double[n];
          for (int i = 0; i < n; i++) {
            walk[i] = Math.abs(walk[i] + 0.05 * (rnd.nextDouble() - 0.5));
            v[i] = (float) walk[i];
          }
          in = StepInput.salient(s, 1.0 / (1 + s), v);
        }
        case "adalora" -> {
          double[] scores = new double[n];
          for (int i = 0; i < n; i++) {
            scores[i] = rnd.nextDouble();
          }
          in = StepInput.adaLora(s, scores);
        }
        case "prilora" -> {
          List<StepInput.PriLoraMatrixInput> per = new ArrayList<>();
          for (AdapterLayout.Matrix m : p.layout().matrices()) {
            double[] a = new double[m.initialRank() * m.dIn()];
            double[] x = new double[m.dIn()];
            for (int i = 0; i < a.length; i++) {
              a[i] = rnd.nextDouble();
            }
            for (int i = 0; i < x.length; i++) {
              x[i] = rnd.nextDouble();
            }
            per.add(new StepInput.PriLoraMatrixInput(a, x));
          }
          in = StepInput.priLora(s, per);
        }
        default -> in = StepInput.bare(s);
      }
      p.onStep(in);
    }
    return p;
  }

  static UnaryOperator<byte[]> policyReencode(
      String name, Map<String, String> params, AdapterLayout layout) {
    return bytes -> {
      RankPolicy fresh = Policies.create(name, params, layout);
      fresh.restoreState(bytes);
      return fresh.snapshotState();
    };
  }

  static AdaLoraImportance importance() {
    AdaLoraImportance imp = new AdaLoraImportance(SMALL);
    SplittableRandom rnd = new SplittableRandom(5);
    for (int step = 0; step < 3; step++) {
      for (int k = 0; k < SMALL.size(); k++) {
        AdapterLayout.Matrix m = SMALL.matrix(k);
        double[] p = new double[m.dOut() * m.initialRank()];
        double[] l = new double[m.initialRank()];
        double[] q = new double[m.initialRank() * m.dIn()];
        for (double[] a : List.of(p, l, q)) {
          for (int i = 0; i < a.length; i++) {
            a[i] = rnd.nextDouble();
          }
        }
        imp.update(k, p, l, q);
      }
    }
    return imp;
  }

  static final ExperimentHeader HEADER =
      ExperimentHeader.fresh("run-7", 3, 0x5EED_F00DL)
          .afterStep(40)
          .afterSnapshot(40, true, 4)
          .afterStep(52)
          .afterSnapshot(52, true, 4)
          .afterStep(57);
  static final StepInput ROW =
      new StepInput(
          57, 0.25, new double[] {1.5f, 0.0, 0.125f}, new double[] {Math.PI, -1e-300, 7}, null);
  static final ParkingLot.Parked PARKED =
      new ParkingLot.Parked(
          "exp-9",
          new Position("salientstream.singular-values.v1", 4, 1234),
          "exp-9".getBytes(),
          new byte[] {0, 0, 0, 0, 7, 1, 2},
          1700000000000L,
          1700000000123L);
  static final RankPattern PATTERN =
      new RankPattern(
          "run-7",
          3,
          12,
          60,
          61,
          new boolean[] {true, false, true, true, false, false, true, true, true},
          0x5EED_F00DL);

  static Map<String, Layout> layouts() {
    Map<String, Layout> m = new LinkedHashMap<>();
    for (Layout l :
        List.of(
            new Layout(
                SalientLoraPolicy.SNAPSHOT,
                () -> advanced("salientlora", salientParams(), SVD, 120).snapshotState(),
                policyReencode("salientlora", salientParams(), SVD)),
            new Layout(
                AdaLoraPolicy.SNAPSHOT,
                () -> advanced("adalora", adaParams(), SVD, 120).snapshotState(),
                policyReencode("adalora", adaParams(), SVD)),
            new Layout(
                PriLoraPolicy.SNAPSHOT,
                () -> advanced("prilora", priParams(), BA, 35).snapshotState(),
                policyReencode("prilora", priParams(), BA)),
            new Layout(
                FixedRankLora.SNAPSHOT,
                () -> advanced("lora", Map.of(), BA, 5).snapshotState(),
                policyReencode("lora", Map.of(), BA)),
            new Layout(
                AdaLoraImportance.SNAPSHOT,
                () -> importance().snapshotState(),
                bytes -> {
                  AdaLoraImportance fresh = new AdaLoraImportance(SMALL);
                  fresh.restoreState(bytes);
                  return fresh.snapshotState();
                }),
            new Layout(
                ExperimentHeader.FORMAT,
                HEADER::encode,
                bytes -> ExperimentHeader.decode(bytes).encode()),
            new Layout(
                StepRows.FORMAT,
                () -> StepRows.encode(ROW),
                bytes -> StepRows.encode(StepRows.decode(bytes))),
            new Layout(
                ParkingLot.FORMAT,
                () -> ParkingLot.encode(PARKED),
                bytes -> ParkingLot.encode(ParkingLot.decode(bytes))),
            new Layout(
                RankPattern.FORMAT,
                PATTERN::encode,
                bytes -> RankPattern.decode(bytes).encode()))) {
      m.put(l.format().type(), l);
    }
    return m;
  }

  static Path fixtureDir() throws URISyntaxException {
    return Path.of(StateFixturesTest.class.getResource("/state-fixtures/README.md").toURI())
        .getParent();
  }

  static String fileName(BinaryState.Format f) {
    return f.type() + "-v" + f.version() + ".bin";
  }

  @Test
  void everyFixtureIsReadOrRefusedNamingItsVersion() throws Exception {
    String write = System.getProperty("salientstream.state-fixtures.write");
    if (write != null) {
      for (Layout l : layouts().values()) {
        Files.write(Path.of(write).resolve(fileName(l.format())), l.current().get());
      }
    }
    Map<String, Layout> layouts = layouts();
    List<Path> files;
    try (Stream<Path> s = Files.list(fixtureDir())) {
      files = s.filter(p -> p.toString().endsWith(".bin")).sorted().toList();
    }
    for (Layout l : layouts.values()) {
      assertThat(files)
          .as("a fixture of the current %s layout", l.format().what())
          .anyMatch(p -> p.getFileName().toString().equals(fileName(l.format())));
    }
    for (Path file : files) {
      byte[] bytes = Files.readAllBytes(file);
      int tag = ByteBuffer.wrap(bytes, 0, 4).getInt();
      String type =
          new String(new byte[] {(byte) (tag >>> 24), (byte) (tag >>> 16), (byte) (tag >>> 8)});
      int version = tag & 0xFF;
      assertThat(file.getFileName().toString()).isEqualTo(type + "-v" + version + ".bin");
      Layout l = layouts.get(type);
      assertThat(l).as("a layout of type %s", type).isNotNull();
      if (version == l.format().version()) {
        assertThat(l.reencode().apply(bytes))
            .as("%s restores and re-encodes to the same bytes", file.getFileName())
            .isEqualTo(bytes);
        assertThat(l.current().get())
            .as("this build writes %s's layout", file.getFileName())
            .isEqualTo(bytes);
      } else {
        assertThatThrownBy(() -> l.reencode().apply(bytes))
            .as("%s is refused", file.getFileName())
            .isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("layout version " + version);
      }
    }
  }

  @Test
  void aLayoutVersionThisBuildDoesNotKnowIsRefusedByName() {
    for (Layout l : layouts().values()) {
      byte[] newer = l.current().get();
      newer[3] = (byte) (l.format().version() + 1);
      assertThatThrownBy(() -> l.reencode().apply(newer))
          .as(l.format().what())
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(l.format().what())
          .hasMessageContaining("layout version " + (l.format().version() + 1))
          .hasMessageContaining("reads version " + l.format().version());
      byte[] untagged = l.current().get();
      untagged[0] = 0;
      assertThatThrownBy(() -> l.reencode().apply(untagged))
          .as(l.format().what())
          .hasMessageContaining("no " + l.format().type() + " tag");
    }
  }
}
