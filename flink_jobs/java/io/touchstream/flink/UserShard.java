package io.touchstream.flink;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

import org.apache.flink.table.functions.ScalarFunction;

/**
 * {@code USER_SHARD(user_id, shards)}: the tag step's key for a user.
 *
 * <p>With {@code shards > 0}, the CRC-32 of the id's UTF-8 bytes modulo {@code shards}, as
 * text; with {@code shards <= 0}, the user id itself (a key per user). Python's
 * {@code flink_jobs.tagging_ops.shard_key} computes the same value for the referral credits,
 * which must reach the same key as the user's own events.
 */
public class UserShard extends ScalarFunction {

    public String eval(String userId, Integer shards) {
        if (userId == null) {
            return null;
        }
        if (shards == null || shards <= 0) {
            return userId;
        }
        CRC32 crc = new CRC32();
        crc.update(userId.getBytes(StandardCharsets.UTF_8));
        return Long.toString(crc.getValue() % shards);
    }
}
