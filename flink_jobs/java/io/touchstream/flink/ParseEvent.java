package io.touchstream.flink;

import java.io.IOException;

import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonFactory;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonParser;
import org.apache.flink.shaded.jackson2.com.fasterxml.jackson.core.JsonToken;
import org.apache.flink.table.annotation.DataTypeHint;
import org.apache.flink.table.functions.ScalarFunction;
import org.apache.flink.types.Row;

/**
 * {@code PARSE_EVENT(line)}: one event-log line parsed once into the columns the job uses.
 *
 * <p>Fifteen {@code JSON_VALUE} calls parse the line fifteen times; this parses it once. The
 * semantics follow {@code JSON_VALUE} + {@code TRY_CAST}: text fields are the scalar's text
 * (null when missing, null or not a scalar), {@code ts} and {@code received_at} are integral
 * numbers or digit strings, {@code step} an int, {@code amount} a number. Returns null when
 * the line is not a JSON object. A streaming parse (tokens, no tree) that skips what it does
 * not need. Declared non-deterministic so the planner calls it once per
 * row instead of once per field it projects.
 */
public class ParseEvent extends ScalarFunction {

    private static final JsonFactory FACTORY = new JsonFactory();

    @DataTypeHint(
            "ROW<ts_ms BIGINT, event_id STRING, user_id STRING, channel STRING, event STRING,"
                    + " session_id STRING, page STRING, business STRING, flow STRING, step INT,"
                    + " amount DOUBLE, received_ms BIGINT, share_id STRING, ref_share_id STRING>")
    public Row eval(String line) {
        if (line == null) {
            return null;
        }
        Fields f = new Fields();
        try (JsonParser parser = FACTORY.createParser(line)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                return null;
            }
            readObject(parser, f, false);
        } catch (IOException e) {
            return null;
        }
        Long step = f.step;
        return Row.of(
                f.ts,
                f.eventId,
                f.userId,
                f.channel,
                f.event,
                orEmpty(f.sessionId),
                orEmpty(f.page),
                orEmpty(f.business),
                orEmpty(f.flow),
                step != null && step >= Integer.MIN_VALUE && step <= Integer.MAX_VALUE ? step.intValue() : 0,
                f.amount != null ? f.amount : 0.0,
                f.received != null ? f.received : 0L,
                orEmpty(f.shareId),
                orEmpty(f.refShareId));
    }

    @Override
    public boolean isDeterministic() {
        return false;
    }

    /** The fields the job reads, from the top level and from {@code props}. */
    private static final class Fields {
        Long ts;
        Long received;
        Long step;
        Double amount;
        String eventId;
        String userId;
        String channel;
        String event;
        String sessionId;
        String page;
        String business;
        String flow;
        String shareId;
        String refShareId;
    }

    /** Reads the fields of the object the parser is in; skips every value it does not need. */
    private static void readObject(JsonParser parser, Fields f, boolean props) throws IOException {
        JsonToken token;
        while ((token = parser.nextToken()) == JsonToken.FIELD_NAME) {
            String name = parser.currentName();
            JsonToken value = parser.nextToken();
            if (!props && "props".equals(name) && value == JsonToken.START_OBJECT) {
                readObject(parser, f, true);
                continue;
            }
            if (props) {
                switch (name) {
                    case "business" -> f.business = text(parser, value);
                    case "flow" -> f.flow = text(parser, value);
                    case "step" -> f.step = integral(parser, value);
                    case "amount" -> f.amount = number(parser, value);
                    case "share_id" -> f.shareId = text(parser, value);
                    case "ref_share_id" -> f.refShareId = text(parser, value);
                    default -> parser.skipChildren();
                }
            } else {
                switch (name) {
                    case "ts" -> f.ts = integral(parser, value);
                    case "received_at" -> f.received = integral(parser, value);
                    case "event_id" -> f.eventId = text(parser, value);
                    case "user_id" -> f.userId = text(parser, value);
                    case "channel" -> f.channel = text(parser, value);
                    case "event" -> f.event = text(parser, value);
                    case "session_id" -> f.sessionId = text(parser, value);
                    case "page" -> f.page = text(parser, value);
                    default -> parser.skipChildren();
                }
            }
        }
        if (token != JsonToken.END_OBJECT) {
            throw new IOException("unexpected token " + token);
        }
    }

    private static String text(JsonParser parser, JsonToken value) throws IOException {
        if (value == null || value == JsonToken.VALUE_NULL) {
            return null;
        }
        if (value.isScalarValue()) {
            return parser.getText();
        }
        parser.skipChildren();
        return null;
    }

    private static String orEmpty(String value) {
        return value != null ? value : "";
    }

    private static Long integral(JsonParser parser, JsonToken value) throws IOException {
        if (value == JsonToken.VALUE_NUMBER_INT) {
            return parser.getNumberType() == JsonParser.NumberType.BIG_INTEGER ? null : parser.getLongValue();
        }
        if (value == JsonToken.VALUE_STRING) {
            try {
                return Long.parseLong(parser.getText().trim());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        parser.skipChildren();
        return null;
    }

    private static Double number(JsonParser parser, JsonToken value) throws IOException {
        if (value == JsonToken.VALUE_NUMBER_INT || value == JsonToken.VALUE_NUMBER_FLOAT) {
            return parser.getDoubleValue();
        }
        if (value == JsonToken.VALUE_STRING) {
            try {
                return Double.parseDouble(parser.getText().trim());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        parser.skipChildren();
        return null;
    }
}
