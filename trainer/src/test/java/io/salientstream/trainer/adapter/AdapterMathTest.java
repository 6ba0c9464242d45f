package io.salientstream.trainer.adapter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class AdapterMathTest {

  private static final int D_IN = 5;
  private static final int D_OUT = 4;
  private static final int R = 3;
  private NDManager m;
  private final Random rng = new Random(7);

  @BeforeEach
  void setUp() {
    m = NDManager.newBaseManager();
  }

  @AfterEach
  void tearDown() {
    m.close();
  }

  private float[] random(int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) rng.nextGaussian();
    }
    return v;
  }

  private NDArray out(AdaptedLinear a, NDArray x) {
    return a.forward(new ParameterStore(m, false), new NDList(x), false).singletonOrThrow();
  }

  /** W0·x + b + s·P·(Λ⊙Q)·x in double, skipping triplets with keep[i] false. */
  private static double[] expectedSvd(
      float[] w0, float[] b, float[] p, float[] e, float[] q, boolean[] keep, double s, float[] x) {
    double[] y = new double[D_OUT];
    for (int o = 0; o < D_OUT; o++) {
      double acc = b[o];
      for (int j = 0; j < D_IN; j++) {
        acc += w0[o * D_IN + j] * x[j];
      }
      for (int i = 0; i < R; i++) {
        if (!keep[i]) {
          continue;
        }
        double qx = 0;
        for (int j = 0; j < D_IN; j++) {
          qx += q[i * D_IN + j] * x[j];
        }
        acc += s * p[o * R + i] * e[i] * qx;
      }
      y[o] = acc;
    }
    return y;
  }

  @Test
  void svdAdapterComputesBasePlusScaledPLambdaQ() {
    float[] w0 = random(D_OUT * D_IN);
    float[] b = random(D_OUT);
    SvdAdapterLinear a =
        new SvdAdapterLinear("t", 0, m.create(w0, new Shape(D_OUT, D_IN)), m.create(b), R, 6f, rng);
    assertThat(a.scale()).isCloseTo((float) (6 / (R + 1e-5)), within(1e-6f));
    float[] x = random(D_IN);
    // Λ = 0 at initialisation: exactly the frozen layer
    double[] base =
        expectedSvd(
            w0, b, new float[D_OUT * R], new float[R], new float[R * D_IN], new boolean[R], 0, x);
    float[] y0 = out(a, m.create(x, new Shape(1, D_IN))).toFloatArray();
    for (int o = 0; o < D_OUT; o++) {
      assertThat((double) y0[o]).isCloseTo(base[o], within(1e-5));
    }
    float[] e = random(R);
    a.lambda().set(e);
    double[] want =
        expectedSvd(
            w0,
            b,
            a.p().toFloatArray(),
            e,
            a.q().toFloatArray(),
            new boolean[] {true, true, true},
            a.scale(),
            x);
    float[] y = out(a, m.create(x, new Shape(1, D_IN))).toFloatArray();
    for (int o = 0; o < D_OUT; o++) {
      assertThat((double) y[o]).isCloseTo(want[o], within(1e-5));
    }
    assertThat(want[0]).isNotCloseTo(base[0], within(1e-4)); // the update is visible
  }

  @Test
  void maskedTripletsContributeNothing() {
    float[] w0 = random(D_OUT * D_IN);
    float[] b = random(D_OUT);
    SvdAdapterLinear a =
        new SvdAdapterLinear("t", 0, m.create(w0, new Shape(D_OUT, D_IN)), m.create(b), R, 6f, rng);
    float[] e = random(R);
    a.lambda().set(e);
    boolean[] keep = {true, false, true};
    a.setKeep(keep);
    a.applyMask();
    assertThat(a.lambda().toFloatArray()[1]).isZero();
    assertThat(a.activeRank()).isEqualTo(2);
    float[] x = random(D_IN);
    double[] want =
        expectedSvd(w0, b, a.p().toFloatArray(), e, a.q().toFloatArray(), keep, a.scale(), x);
    float[] y = out(a, m.create(x, new Shape(1, D_IN))).toFloatArray();
    for (int o = 0; o < D_OUT; o++) {
      assertThat((double) y[o]).isCloseTo(want[o], within(1e-5));
    }
  }

  @Test
  void onlyAdapterParametersReceiveGradients() {
    SvdAdapterLinear a =
        new SvdAdapterLinear(
            "t",
            0,
            m.create(random(D_OUT * D_IN), new Shape(D_OUT, D_IN)),
            m.create(random(D_OUT)),
            R,
            6f,
            rng);
    a.lambda().set(random(R));
    NDArray x = m.create(random(2 * D_IN), new Shape(2, D_IN));
    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
      NDArray y = a.forward(new ParameterStore(m, false), new NDList(x), true).singletonOrThrow();
      gc.backward(y.square().sum());
    }
    assertThat(a.baseWeight().hasGradient()).isFalse();
    assertThat(a.baseBias().hasGradient()).isFalse();
    for (NDArray p : new NDArray[] {a.p(), a.lambda(), a.q()}) {
      assertThat(p.hasGradient()).isTrue();
      assertThat(p.getGradient().abs().sum().getFloat()).isPositive();
    }
  }

  @Test
  void loraAdapterComputesBasePlusScaledBAAndMasksEntriesOfA() {
    float[] w0 = random(D_OUT * D_IN);
    LoraLinear a = new LoraLinear("t", 0, m.create(w0, new Shape(D_OUT, D_IN)), null, R, 6f, rng);
    assertThat(a.b().abs().sum().getFloat()).isZero(); // B = 0 at initialisation
    float[] bv = random(D_OUT * R);
    a.b().set(bv);
    boolean[] keep = new boolean[R * D_IN];
    for (int i = 0; i < keep.length; i++) {
      keep[i] = i % 3 != 0;
    }
    a.setKeep(keep);
    a.applyMask();
    float[] av = a.a().toFloatArray();
    float[] x = random(D_IN);
    float[] y = out(a, m.create(x, new Shape(1, D_IN))).toFloatArray();
    for (int o = 0; o < D_OUT; o++) {
      double acc = 0;
      for (int j = 0; j < D_IN; j++) {
        acc += w0[o * D_IN + j] * x[j];
      }
      for (int i = 0; i < R; i++) {
        double ax = 0;
        for (int j = 0; j < D_IN; j++) {
          assertThat(av[i * D_IN + j] == 0f).isEqualTo(!keep[i * D_IN + j]);
          ax += av[i * D_IN + j] * x[j];
        }
        acc += 2.0 * bv[o * R + i] * ax; // α/r = 6/3
      }
      assertThat((double) y[o]).isCloseTo(acc, within(1e-5));
    }
  }

  @Test
  void orthogonalPenaltyIsUnsquaredFrobenius() {
    SvdAdapterLinear a =
        new SvdAdapterLinear(
            "t", 0, m.create(random(D_OUT * D_IN), new Shape(D_OUT, D_IN)), null, R, 6f, rng);
    float[] p = a.p().toFloatArray();
    float[] q = a.q().toFloatArray();
    double qq = 0;
    double pp = 0;
    for (int i = 0; i < R; i++) {
      for (int k = 0; k < R; k++) {
        double s = 0;
        for (int j = 0; j < D_IN; j++) {
          s += q[i * D_IN + j] * q[k * D_IN + j];
        }
        s -= i == k ? 1 : 0;
        qq += s * s;
        double t = 0;
        for (int o = 0; o < D_OUT; o++) {
          t += p[o * R + i] * p[o * R + k];
        }
        t -= i == k ? 1 : 0;
        pp += t * t;
      }
    }
    double got = a.orthogonalPenalty(m.eye(R)).getFloat();
    assertThat(got).isCloseTo(Math.sqrt(qq) + Math.sqrt(pp), within(1e-5));
  }
}
