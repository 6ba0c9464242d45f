package io.salientstream.trainer.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.salientstream.trainer.adapter.SvdAdapterLinear;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The DJL encoder, fed the jar's ONNX weights and DJL's tokenizer, reproduces an independent numpy
 * implementation (trainer/src/test/python/bert_reference.py, float64, own protobuf reader and own
 * WordPiece) to 1e-4. The adapters are SVD adapters at initialisation (Λ = 0), so this also shows
 * that ΔW = 0 at step 0.
 */
class EncoderForwardTest {

  @ParameterizedTest
  @CsvSource({"minilm, /minilm-reference.json", "bge-small, /bge-small-reference.json"})
  void forwardMatchesIndependentReference(String modelName, String fixture) throws Exception {
    EncoderModel model = EncoderModel.parse(modelName);
    JsonNode ref;
    try (InputStream in = getClass().getResourceAsStream(fixture)) {
      ref = new ObjectMapper().readTree(in);
    }
    List<String> texts = new ArrayList<>();
    ref.get("sentences").forEach(s -> texts.add(s.get("text").asText()));
    assertThat(ref.get("layers").asInt()).isEqualTo(model.layers());

    try (NDManager manager = NDManager.newBaseManager();
        BatchTokenizer tok = new BatchTokenizer(model, 64, false)) {
      Random rng = new Random(1);
      BertEncoder enc =
          new BertEncoder(
              manager,
              OnnxWeights.readResource(model.onnxResource()),
              model.layers(),
              (module, layer, w, b) -> new SvdAdapterLinear(module, layer, w, b, 4, 8f, rng));
      assertThat(enc.adaptedLayers()).hasSize(6 * model.layers());
      BatchTokenizer.Batch batch = tok.encode(texts);
      try (NDManager step = manager.newSubManager()) {
        NDArray ids = step.create(batch.ids(), new Shape(batch.size(), batch.length()));
        NDArray mask = step.create(batch.mask(), new Shape(batch.size(), batch.length()));
        NDArray hidden = enc.forward(new ParameterStore(step, false), ids, mask, false);
        float[] pooled = BertEncoder.meanPool(hidden, mask).toFloatArray();
        float[] h = hidden.toFloatArray();
        int hiddenSize = EncoderModel.HIDDEN;
        for (int i = 0; i < texts.size(); i++) {
          JsonNode s = ref.get("sentences").get(i);
          int n = s.get("ids").size();
          for (int j = 0; j < n; j++) {
            assertThat(batch.ids()[i * batch.length() + j])
                .as("token %d of '%s'", j, texts.get(i))
                .isEqualTo(s.get("ids").get(j).asLong());
          }
          for (int j = n; j < batch.length(); j++) {
            assertThat(batch.mask()[i * batch.length() + j]).isZero();
          }
          for (int d = 0; d < 8; d++) {
            assertThat((double) pooled[i * hiddenSize + d])
                .as("pooled[%d] of '%s'", d, texts.get(i))
                .isCloseTo(s.get("meanPooled").get(d).asDouble(), within(1e-4));
            assertThat((double) h[i * batch.length() * hiddenSize + d])
                .as("CLS[%d] of '%s'", d, texts.get(i))
                .isCloseTo(s.get("cls").get(d).asDouble(), within(1e-4));
          }
        }
      }
    }
  }
}
