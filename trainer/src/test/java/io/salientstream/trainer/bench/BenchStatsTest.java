package io.salientstream.trainer.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.salientstream.trainer.task.ClassificationMetrics;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class BenchStatsTest {

  @Test
  void meanAndSampleStd() {
    assertThat(BenchStats.mean(new double[] {1, 2, 3, 6})).isEqualTo(3.0);
    // sample variance of 1,2,3,6: ((4+1+0+9)/3)
    assertThat(BenchStats.std(new double[] {1, 2, 3, 6}))
        .isCloseTo(Math.sqrt(14.0 / 3), within(1e-12));
    assertThat(BenchStats.std(new double[] {0.7})).isZero();
  }

  @Test
  void signTestIsTheExactBinomialTail() {
    // 3 of 3 wins: 2 * (1/8)
    BenchStats.SignTest t = BenchStats.signTest(new double[] {1, 1, 1}, new double[] {2, 2, 2});
    assertThat(t.wins()).isEqualTo(3);
    assertThat(t.losses()).isZero();
    assertThat(t.p()).isCloseTo(0.25, within(1e-12));
    // 5 of 5 losses: 2 / 32
    t = BenchStats.signTest(new double[] {5, 5, 5, 5, 5}, new double[] {1, 1, 1, 1, 1});
    assertThat(t.losses()).isEqualTo(5);
    assertThat(t.p()).isCloseTo(0.0625, within(1e-12));
    // 8 wins, 2 losses: 2 * (1 + 10 + 45) / 1024
    double[] a = new double[10];
    double[] b = new double[10];
    for (int i = 0; i < 10; i++) {
      b[i] = i < 8 ? 1 : -1;
    }
    assertThat(BenchStats.signTest(a, b).p()).isCloseTo(2 * 56 / 1024.0, within(1e-12));
    // ties are dropped; nothing untied: p = 1
    t = BenchStats.signTest(new double[] {1, 2}, new double[] {1, 2});
    assertThat(t.ties()).isEqualTo(2);
    assertThat(t.p()).isEqualTo(1.0);
  }

  @Test
  void bootstrapOfIdenticalRunsIsZeroAndOfAPerfectRunIsTheGap() {
    int[] gold = {0, 1, 2, 0, 1, 2, 0, 1};
    int[] wrong = {1, 2, 0, 1, 2, 0, 1, 2};
    BenchStats.Predictions bad = new BenchStats.Predictions(gold, wrong);
    BenchStats.Predictions perfect = new BenchStats.Predictions(gold, gold.clone());
    BenchStats.Interval same =
        BenchStats.pairedBootstrap(
            List.of(bad, bad), List.of(bad, bad), 3, BenchStats.Metric.ACCURACY, 500, 1);
    assertThat(same.diff()).isZero();
    assertThat(same.lo()).isZero();
    assertThat(same.hi()).isZero();
    assertThat(same.excludesZero()).isFalse();
    BenchStats.Interval gap =
        BenchStats.pairedBootstrap(
            List.of(bad), List.of(perfect), 3, BenchStats.Metric.ACCURACY, 500, 1);
    assertThat(gap.diff()).isEqualTo(1.0);
    assertThat(gap.lo()).isEqualTo(1.0);
    assertThat(gap.hi()).isEqualTo(1.0);
    assertThat(gap.excludesZero()).isTrue();
  }

  @Test
  void bootstrapIntervalCoversTheObservedDifferenceAndMatchesTheBinomialSpread() {
    // b is right on 60 % of 2000 examples, a on 50 %, independently: the interval of the accuracy
    // difference should be about ± 1.96 · sqrt((.5·.5 + .6·.4) / 2000) wide around the observation
    SplittableRandom r = new SplittableRandom(7);
    int n = 2000;
    int[] gold = new int[n];
    int[] pa = new int[n];
    int[] pb = new int[n];
    for (int i = 0; i < n; i++) {
      gold[i] = r.nextInt(2);
      pa[i] = r.nextDouble() < 0.5 ? gold[i] : 1 - gold[i];
      pb[i] = r.nextDouble() < 0.6 ? gold[i] : 1 - gold[i];
    }
    var a = new BenchStats.Predictions(gold, pa);
    var b = new BenchStats.Predictions(gold, pb);
    BenchStats.Interval iv =
        BenchStats.pairedBootstrap(List.of(a), List.of(b), 2, BenchStats.Metric.ACCURACY, 2000, 3);
    double observed =
        ClassificationMetrics.accuracy(gold, pb) - ClassificationMetrics.accuracy(gold, pa);
    assertThat(iv.diff()).isCloseTo(observed, within(1e-12));
    assertThat(iv.lo()).isLessThan(observed);
    assertThat(iv.hi()).isGreaterThan(observed);
    double half = 1.96 * Math.sqrt((0.25 + 0.24) / n);
    assertThat((iv.hi() - iv.lo()) / 2).isCloseTo(half, within(half * 0.2));
    assertThat(iv.excludesZero()).isTrue();
    // macro-F1 on the same pair: observed difference is the plain metric difference
    BenchStats.Interval f1 =
        BenchStats.pairedBootstrap(List.of(a), List.of(b), 2, BenchStats.Metric.MACRO_F1, 200, 3);
    assertThat(f1.diff())
        .isCloseTo(
            ClassificationMetrics.macroF1(gold, pb, 2) - ClassificationMetrics.macroF1(gold, pa, 2),
            within(1e-12));
  }

  @Test
  void bootstrapRefusesUnpairedRuns() {
    var a = new BenchStats.Predictions(new int[] {0, 1}, new int[] {0, 1});
    var b = new BenchStats.Predictions(new int[] {1, 1}, new int[] {0, 1});
    assertThatThrownBy(
            () ->
                BenchStats.pairedBootstrap(
                    List.of(a), List.of(b), 2, BenchStats.Metric.ACCURACY, 10, 1))
        .hasMessageContaining("same test examples");
    assertThatThrownBy(
            () ->
                BenchStats.pairedBootstrap(
                    List.of(a), List.of(a, a), 2, BenchStats.Metric.ACCURACY, 10, 1))
        .hasMessageContaining("same seeds");
  }
}
