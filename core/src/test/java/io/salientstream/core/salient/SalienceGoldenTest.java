package io.salientstream.core.salient;

import static org.assertj.core.api.Assertions.assertThat;

import io.salientstream.core.Goldens;
import io.salientstream.core.cli.SalienceInput;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.assertj.core.data.Offset;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Reference mode reproduces every golden window end of the SalientLoRA reference implementation.
 */
class SalienceGoldenTest {

  static Stream<Path> files() {
    return Goldens.salienceFiles().stream();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("files")
  void referenceModeReproducesGolden(Path file) {
    SalienceInput in = SalienceInput.read(file);
    SalienceEngine engine =
        new SalienceEngine(
            new SalienceParams(SalienceMode.REFERENCE, in.beta(), in.gamma(), 0.5), 2);
    SalienceResult r = engine.compute(in.window(), in.keep(), null);

    assertThat(r.edges()).as("every golden window has dependency edges").isPositive();
    assertThat(r.keep()).as("keep mask").isEqualTo(in.expectedKeep());
    assertThat(r.kept()).isEqualTo(in.keep());
    double[] exp = in.expectedScores();
    for (int i = 0; i < exp.length; i++) {
      double tol = Math.max(1e-9, 1e-4 * Math.abs(exp[i]));
      assertThat(r.scores()[i]).as("score %d", i).isCloseTo(exp[i], Offset.offset(tol));
    }
    assertThat(r.threshold())
        .isCloseTo(
            in.expectedThreshold(),
            Offset.offset(Math.max(1e-9, 1e-4 * Math.abs(in.expectedThreshold()))));
  }
}
