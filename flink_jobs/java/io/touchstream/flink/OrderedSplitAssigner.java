package io.touchstream.flink;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.Optional;
import java.util.PriorityQueue;

import org.apache.flink.connector.file.src.FileSourceSplit;
import org.apache.flink.connector.file.src.assigners.FileSplitAssigner;

/**
 * Hands out file splits in path-name order.
 *
 * <p>Touchstream's event log names segments by the time of their first write, so reading
 * splits in name order (with source parallelism 1) reads a backlog in the order it was
 * received: a catch-up after downtime, or a first run over existing segments, then sees
 * the same event-time order as live processing did. Flink's default assigners do not
 * order splits, which makes event-time timers fire early and windows drop data as late.
 */
public class OrderedSplitAssigner implements FileSplitAssigner {

    private static final Comparator<FileSourceSplit> BY_NAME =
            Comparator.comparing((FileSourceSplit s) -> s.path().getName())
                    .thenComparing(s -> s.path().toString())
                    .thenComparingLong(FileSourceSplit::offset);

    private final PriorityQueue<FileSourceSplit> splits = new PriorityQueue<>(BY_NAME);

    public OrderedSplitAssigner(Collection<FileSourceSplit> initialSplits) {
        splits.addAll(initialSplits);
    }

    @Override
    public Optional<FileSourceSplit> getNext(String hostname) {
        return Optional.ofNullable(splits.poll());
    }

    @Override
    public void addSplits(Collection<FileSourceSplit> newSplits) {
        splits.addAll(newSplits);
    }

    @Override
    public Collection<FileSourceSplit> remainingSplits() {
        return new ArrayList<>(splits);
    }

    /** The serializable factory FileSource.Builder#setSplitAssigner takes. */
    public static class Provider implements FileSplitAssigner.Provider {
        private static final long serialVersionUID = 1L;

        @Override
        public FileSplitAssigner create(Collection<FileSourceSplit> initialSplits) {
            return new OrderedSplitAssigner(initialSplits);
        }
    }
}
