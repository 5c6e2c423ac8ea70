package io.touchstream.flink;

import java.time.Instant;

import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.functions.ScalarFunction;

/**
 * {@code EPOCH_MS(t)}: a {@code TIMESTAMP_LTZ(3)} (for example {@code CURRENT_WATERMARK(rt)}) as
 * epoch milliseconds; Flink SQL has no built-in for milliseconds.
 */
public class EpochMillis extends ScalarFunction {

    public Long eval(@DataTypeHint("TIMESTAMP_LTZ(3)") Instant t) {
        return t == null ? null : t.toEpochMilli();
    }
}
