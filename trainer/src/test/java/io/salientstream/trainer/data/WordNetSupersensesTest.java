package io.salientstream.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class WordNetSupersensesTest {

  @Test
  void loadsAllSynsetsWith45ClassesAndDisjointDeterministicSplits() {
    long t0 = System.nanoTime();
    WordNetSupersenses.Splits s = WordNetSupersenses.load();
    System.out.printf(
        "WordNet load %.1f s: train %d, validation %d, test %d%n",
        (System.nanoTime() - t0) / 1e9, s.train().size(), s.validation().size(), s.test().size());
    assertThat(s.classes())
        .hasSize(45)
        .contains("noun.animal", "verb.motion", "adj.all", "adv.all");
    assertThat(s.train().size() + s.validation().size() + s.test().size()).isEqualTo(117_791);
    assertThat(s.test().size()).isBetween(11_000, 12_600);
    assertThat(s.validation().size()).isBetween(11_000, 12_600);
    Set<String> keys = new HashSet<>();
    s.train().forEach(e -> keys.add(e.key()));
    s.validation().forEach(e -> assertThat(keys.add(e.key())).isTrue());
    s.test().forEach(e -> assertThat(keys.add(e.key())).isTrue());
    s.test().forEach(e -> assertThat(WordNetSupersenses.bucket(e.key())).isZero());
    assertThat(s.train().get(0).text()).isNotBlank();
  }
}
