package io.salientstream.trainer.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

class SentimentSentencesTest {

  @Test
  void parsesEntriesAndSkipsOnlyThePackagesEmptyTail() throws IOException {
    String json =
        "[{\"text\":\"Great for the jawbone.\",\"class\":1},{\"text\":\"Not good.\",\"class\":0},"
            + "{\"text\":\"\",\"class\":null}]";
    List<WordNetSupersenses.Example> ex = SentimentSentences.parse("amazon", json, "amazon.json");
    assertThat(ex)
        .containsExactly(
            new WordNetSupersenses.Example("amazon:0000", "Great for the jawbone.", 1),
            new WordNetSupersenses.Example("amazon:0001", "Not good.", 0));
  }

  @Test
  void malformedEntriesAreErrorsNamingFileAndIndex() {
    assertThatThrownBy(
            () ->
                SentimentSentences.parse(
                    "yelp",
                    "[{\"text\":\"ok\",\"class\":1},{\"text\":\"x\",\"class\":2}]",
                    "yelp.json"))
        .hasMessageContaining("yelp.json entry 1")
        .hasMessageContaining("'class' must be 0 or 1");
    assertThatThrownBy(
            () ->
                SentimentSentences.parse(
                    "imdb",
                    "[{\"text\":\"\",\"class\":null},{\"text\":\"x\",\"class\":0}]",
                    "imdb.json"))
        .hasMessageContaining("imdb.json entry 0")
        .hasMessageContaining("'text'");
    assertThatThrownBy(() -> SentimentSentences.parse("imdb", "{}", "imdb.json"))
        .hasMessageContaining("imdb.json: expected a JSON array");
  }

  @Test
  void splitIsDeterministicKeepsDuplicatesTogetherAndDropsThem() {
    List<WordNetSupersenses.Example> all = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      all.add(new WordNetSupersenses.Example("amazon:" + i, "sentence number " + i, i % 2));
    }
    all.add(new WordNetSupersenses.Example("yelp:0000", "sentence number 17", 1)); // duplicate
    WordNetSupersenses.Splits a = SentimentSentences.split(all);
    List<WordNetSupersenses.Example> reversed = new ArrayList<>(all.subList(0, 3000));
    Collections.reverse(reversed);
    WordNetSupersenses.Splits b = SentimentSentences.split(reversed);
    // the split depends on the text only, not on the input order
    assertThat(a.train()).isEqualTo(b.train());
    assertThat(a.validation()).isEqualTo(b.validation());
    assertThat(a.test()).isEqualTo(b.test());
    assertThat(a.train().size() + a.validation().size() + a.test().size()).isEqualTo(3000);
    assertThat(a.test().size()).isBetween(540, 660);
    assertThat(a.validation().size()).isBetween(250, 350);
    a.test().forEach(e -> assertThat(SentimentSentences.bucket(e.text())).isLessThanOrEqualTo(1));
    a.validation().forEach(e -> assertThat(SentimentSentences.bucket(e.text())).isEqualTo(2));
    assertThat(a.classes()).containsExactly("negative", "positive");
  }

  /**
   * The real data: fetches npm {@code sentiment@5.0.2} with {@code npm ci} from the committed
   * lockfile (Node.js and npm on the PATH, as for the registry's interop tests) into {@code
   * target/}, then checks the counts the UCI description gives and the split sizes documented in
   * trainer/README.md.
   */
  @Test
  void realDataHas3000SentencesAndTheDocumentedSplit() throws IOException {
    WordNetSupersenses.Splits s =
        SentimentSentences.load(Path.of("target", "sentiment-data").toAbsolutePath());
    int total = s.train().size() + s.validation().size() + s.test().size();
    System.out.printf(
        "sentiment: train %d, validation %d, test %d%n",
        s.train().size(), s.validation().size(), s.test().size());
    // 3,000 sentences, 17 exact duplicates dropped
    assertThat(total).isEqualTo(2983);
    Set<String> texts = new HashSet<>();
    for (var split : List.of(s.train(), s.validation(), s.test())) {
      split.forEach(e -> assertThat(texts.add(e.text())).isTrue());
    }
    long positive =
        Stream.of(s.train(), s.validation(), s.test())
            .flatMap(List::stream)
            .filter(e -> e.label() == 1)
            .count();
    assertThat(positive).isBetween(1480L, 1500L);
    assertThat(s.test().get(0).key()).matches("(amazon|imdb|yelp):\\d{4}");
  }
}
