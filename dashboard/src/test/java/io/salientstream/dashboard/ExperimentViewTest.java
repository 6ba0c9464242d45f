package io.salientstream.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.salientstream.avro.ExperimentSpec;
import io.salientstream.avro.RankPruneCommand;
import io.salientstream.avro.SalienceReport;
import io.salientstream.avro.SingularValueStep;
import io.salientstream.avro.TrainerStatus;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The dashboard reads each topic on its own partitions, so an experiment's registration, steps,
 * reports, commands and statuses reach its view in any interleaving. The view must come out the
 * same whichever topic is read first — in particular the budget curve's starting point and the
 * initial rank pattern, which come from the registration, stay first when the registration is read
 * last.
 */
class ExperimentViewTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Topics in the order the feed lists them; a record's index is its topic's. */
  private static final List<Class<?>> TOPICS =
      List.of(
          ExperimentSpec.class,
          SingularValueStep.class,
          SalienceReport.class,
          RankPruneCommand.class,
          TrainerStatus.class);

  /** The records of one synthetic run with two window ends, in the order a trainer writes them. */
  private static List<Object> records() {
    SyntheticExperiment exp = new SyntheticExperiment("view-exp", 2, 4, 100, 10, 7);
    List<Object> out = new ArrayList<>();
    out.add(exp.spec());
    long t0 = 1_700_000_000_000L;
    for (long s = 0; s <= 20; s++) {
      out.add(exp.step(s, t0 + s));
      if (exp.isWindowEnd(s)) {
        out.addAll(exp.windowEnd(s, t0 + s + 5));
      }
      out.add(exp.status(s, t0 + s, 10));
    }
    return out;
  }

  private static JsonNode fold(List<Object> records) {
    ExperimentView v = new ExperimentView("view-exp", ExperimentView.Limits.defaults());
    for (Object r : records) {
      if (r instanceof ExperimentSpec s) {
        v.onSpec(s);
      } else if (r instanceof SingularValueStep s) {
        v.onStep(s);
      } else if (r instanceof SalienceReport s) {
        v.onReport(s);
      } else if (r instanceof RankPruneCommand c) {
        v.onCommand(c, c.getCreatedAtMs().toEpochMilli());
      } else if (r instanceof TrainerStatus s) {
        v.onStatus(s);
      }
    }
    return JSON.valueToTree(v.detail(2000));
  }

  /** One topic after another, in the given topic order (each topic's records keep their order). */
  private static List<Object> topicByTopic(List<Object> records, List<Class<?>> order) {
    List<Object> out = new ArrayList<>(records);
    out.sort(Comparator.comparingInt(r -> order.indexOf(r.getClass())));
    return out;
  }

  @Test
  void inWriteOrderTheCurvesAndPatternsStartFromTheRegistration() {
    JsonNode d = fold(records());
    JsonNode budget = d.get("curves").get("budget");
    assertThat(budget.get(0).get(0).asLong()).isZero();
    assertThat(budget.get(1).get(0).asInt()).isEqualTo(48);
    assertThat(budget.get(0)).hasSize(3);
    JsonNode heatmaps = d.get("heatmaps");
    assertThat(heatmaps).hasSize(3);
    assertThat(heatmaps.get(0).get("measure").asText()).isEqualTo(ExperimentView.INITIAL_RANKS);
    assertThat(heatmaps.get(1).get("sequence").asLong()).isEqualTo(1);
    assertThat(heatmaps.get(2).get("sequence").asLong()).isEqualTo(2);
  }

  @Test
  void theRegistrationReadLastGivesTheSameView() {
    List<Object> records = records();
    JsonNode expected = fold(records);
    List<Object> specLast = new ArrayList<>(records.subList(1, records.size()));
    specLast.add(records.get(0));
    assertThat(fold(specLast)).isEqualTo(expected);
  }

  @Test
  void everyTopicOrderGivesTheSameView() {
    List<Object> records = records();
    JsonNode expected = fold(records);
    // the write order's topics reversed, and each topic in turn read first or last
    List<List<Class<?>>> orders = new ArrayList<>();
    orders.add(TOPICS);
    List<Class<?>> reversed = new ArrayList<>(TOPICS);
    Collections.reverse(reversed);
    orders.add(reversed);
    for (Class<?> t : TOPICS) {
      List<Class<?>> first = new ArrayList<>(TOPICS);
      first.remove(t);
      first.add(0, t);
      orders.add(first);
      List<Class<?>> last = new ArrayList<>(TOPICS);
      last.remove(t);
      last.add(t);
      orders.add(last);
    }
    for (List<Class<?>> order : orders) {
      assertThat(fold(topicByTopic(records, order)))
          .as("topics read in the order %s", order.stream().map(Class::getSimpleName).toList())
          .isEqualTo(expected);
    }
  }
}
