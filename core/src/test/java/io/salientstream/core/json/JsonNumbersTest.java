package io.salientstream.core.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonNumbersTest {

  /** A strict reader: no NaN tokens, the way other languages' JSON parsers read our files. */
  private static final ObjectMapper STRICT =
      JsonMapper.builder().disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS).build();

  record Row(double score, float lambda, double[] series, float[] values, Double boxed) {}

  @Test
  void nonFiniteValuesAreWrittenAsNullEverywhereAndReadBack() throws Exception {
    Map<String, Object> report = new LinkedHashMap<>();
    report.put("spearman", Double.NaN);
    report.put("finite", 0.25);
    report.put("list", List.of(1.5, Double.POSITIVE_INFINITY));
    report.put(
        "row",
        new Row(
            Double.NaN,
            Float.NaN,
            new double[] {Double.NEGATIVE_INFINITY, 2.0},
            new float[] {Float.NaN, 3f},
            Double.NaN));
    String text = JsonNumbers.mapper().writeValueAsString(report);
    assertThat(text).doesNotContain("NaN").doesNotContain("Infinity");

    JsonNode back = STRICT.readTree(text);
    assertThat(back.get("spearman").isNull()).isTrue();
    assertThat(back.get("finite").doubleValue()).isEqualTo(0.25);
    assertThat(JsonNumbers.nullableNumber(back.get("spearman"), "spearman")).isNaN();
    assertThat(JsonNumbers.nullableNumber(back.get("list").get(0), "list[0]")).isEqualTo(1.5);
    assertThat(back.get("list").get(1).isNull()).isTrue();
    JsonNode row = back.get("row");
    assertThat(row.get("score").isNull()).isTrue();
    assertThat(row.get("lambda").isNull()).isTrue();
    assertThat(row.get("series").get(0).isNull()).isTrue();
    assertThat(row.get("series").get(1).doubleValue()).isEqualTo(2.0);
    assertThat(row.get("values").get(0).isNull()).isTrue();
    assertThat(row.get("values").get(1).floatValue()).isEqualTo(3f);
    assertThat(row.get("boxed").isNull()).isTrue();
  }

  @Test
  void jacksonsDefaultStringsStillReadAndAnythingElseIsNamed() {
    assertThat(JsonNumbers.nullableNumber(TextNode.valueOf("NaN"), "x")).isNaN();
    assertThat(JsonNumbers.nullableNumber(TextNode.valueOf("-Infinity"), "x"))
        .isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(JsonNumbers.nullableNumber(null, "x")).isNaN();
    assertThatThrownBy(() -> JsonNumbers.nullableNumber(TextNode.valueOf("high"), "scores[3]"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("scores[3]");
  }
}
