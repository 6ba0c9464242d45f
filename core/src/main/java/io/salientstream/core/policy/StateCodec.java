package io.salientstream.core.policy;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * Encodes a policy's state record as JSON bytes (Jackson). Doubles are written with Jackson's shortest
 * round-tripping representation, so a decode returns bit-identical values; large arrays are stored as
 * {@code byte[]} (Base64 in the JSON) by the policies themselves.
 */
public final class StateCodec {
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, true)
            .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, true);

    private StateCodec() {
    }

    public static byte[] encode(Object state) {
        try {
            return MAPPER.writeValueAsBytes(state);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode policy state", e);
        }
    }

    public static <T> T decode(byte[] bytes, Class<T> type, String policy) {
        if (bytes == null) throw new IllegalArgumentException(policy + ": state bytes are null");
        try {
            return MAPPER.readValue(bytes, type);
        } catch (IOException e) {
            throw new IllegalArgumentException(policy + ": not a valid state snapshot: " + e.getMessage(), e);
        }
    }

    /** Packs doubles into bytes (big-endian IEEE 754), preserving every bit. */
    public static byte[] pack(double[] values) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(values.length * Double.BYTES);
        b.asDoubleBuffer().put(values);
        return b.array();
    }

    public static double[] unpackDoubles(byte[] bytes) {
        if (bytes.length % Double.BYTES != 0) throw new IllegalArgumentException("packed doubles: bad length " + bytes.length);
        double[] out = new double[bytes.length / Double.BYTES];
        java.nio.ByteBuffer.wrap(bytes).asDoubleBuffer().get(out);
        return out;
    }
}
