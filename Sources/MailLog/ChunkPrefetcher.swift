import ByteSources
import Foundation

/// Reads a source's next chunk on a second thread while the caller works on the current one.
///
/// Used for regular files: there the copy out of the page cache (read(2)) costs about a fifth of the
/// analysis, and overlapping it takes it off the wall-clock path (the CPU time stays the same).
/// Memory is bounded: `slots` buffers of `headroom + chunkSize` bytes. Each buffer keeps `headroom` bytes
/// in front of the data, where the caller puts the unfinished last line of the previous chunk, so no
/// chunk is ever copied whole.
///
/// Threading: while the reader thread runs, only it touches `source`; slots pass between the two threads
/// under `condition`, filled and released in ring order. `finish()` stops and joins the thread; it must be
/// called before the prefetcher is dropped (the line reader does so in a `defer`).
final class ChunkPrefetcher: @unchecked Sendable {
    struct Chunk {
        /// The buffer's start; the data lies at [headroom, headroom + count).
        var base: UnsafeMutableRawPointer
        var count: Int
        var error: LogReadError?
        /// The chunk's candidate lines, found on the reader thread (nil without an indexer). Valid, like the
        /// buffer, until the next call of `next`.
        var index: CandidateIndex?
    }

    let headroom: Int
    let chunkSize: Int
    private let source: ByteSource
    private let buffers: [UnsafeMutableRawPointer]
    private var results: [(count: Int, error: LogReadError?)]
    private let condition = NSCondition()
    // Guarded by `condition`:
    private var free: Int          // slots the reader may fill
    private var filled = 0         // slots filled and not yet taken
    private var cancelled = false
    // The reader's next slot (reader thread only) and the caller's (caller only); both advance in ring order.
    private var writeIndex = 0
    private var takeIndex = 0
    private var holding = false    // the caller holds the slot before `takeIndex`
    private var thread: pthread_t?
    /// Per slot, filled by the reader thread right after the read (when an indexer is given).
    private let indexes: [CandidateIndex]
    private let indexer: (@Sendable (UnsafePointer<UInt8>, Int, Int, CandidateIndex) -> Void)?

    /// Starts the reader thread; nil when the thread cannot be created (the caller then reads inline).
    /// `indexer(buffer, start, end, index)`, when given, runs on the reader thread over each chunk's data
    /// [start, end): the trigger scan moves off the analysing thread.
    init?(source: ByteSource, chunkSize: Int, headroom: Int, slots: Int = 2,
          indexer: (@Sendable (UnsafePointer<UInt8>, Int, Int, CandidateIndex) -> Void)? = nil) {
        self.source = source
        self.chunkSize = chunkSize
        self.headroom = headroom
        self.indexer = indexer
        let count = max(2, slots)
        buffers = (0..<count).map { _ in UnsafeMutableRawPointer.allocate(byteCount: headroom + chunkSize, alignment: 64) }
        indexes = (0..<count).map { _ in CandidateIndex() }
        results = Array(repeating: (0, nil), count: count)
        free = count
        var tid = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let rc = pthread_create(&tid, nil, { context in
            guard let context else { return nil }
            let prefetcher = Unmanaged<ChunkPrefetcher>.fromOpaque(context).takeRetainedValue()
            // Named for `top -H` and perf (scripts/bench-logs.sh splits the CPU time by thread name).
            Thread.current.name = "postls-read"
            prefetcher.readLoop()
            return nil
        }, context)
        if rc != 0 {
            Unmanaged<ChunkPrefetcher>.fromOpaque(context).release()
            for b in buffers { b.deallocate() }
            return nil
        }
        thread = tid
    }

    deinit {
        // `finish()` has joined the thread (which held a reference until it returned).
        for b in buffers { b.deallocate() }
    }

    /// Reader thread: fills free slots in ring order until the end of input, an error, or cancellation.
    private func readLoop() {
        while true {
            condition.lock()
            while free == 0 && !cancelled { condition.wait() }
            if cancelled { condition.unlock(); return }
            free -= 1
            condition.unlock()

            let slot = writeIndex
            writeIndex = (writeIndex + 1) % buffers.count
            var result: (count: Int, error: LogReadError?) = (0, nil)
            do { result.count = try source.read(into: UnsafeMutableRawBufferPointer(start: buffers[slot] + headroom, count: chunkSize)) }
            catch { result.error = error }
            if let indexer, result.error == nil, result.count > 0 {
                indexer(UnsafePointer(buffers[slot].assumingMemoryBound(to: UInt8.self)), headroom, headroom + result.count, indexes[slot])
            }

            condition.lock()
            results[slot] = result
            filled += 1
            condition.signal()
            condition.unlock()
            if result.count == 0 || result.error != nil { return }
        }
    }

    /// The next chunk, with `tail` (the unfinished line of the previous chunk, which may live in the slot
    /// being given back) copied just before its data. A count of 0 means the end of input; after that, or an
    /// error, do not call again.
    func next(tail: UnsafeRawBufferPointer) -> Chunk {
        let slot = takeIndex
        takeIndex = (takeIndex + 1) % buffers.count
        condition.lock()
        while filled == 0 { condition.wait() }
        filled -= 1
        // Read under the lock: the reader thread writes `results` under it.
        let result = results[slot]
        condition.unlock()

        let base = buffers[slot]
        if let t = tail.baseAddress, tail.count > 0 {
            precondition(tail.count <= headroom, "a tail longer than the headroom")
            memmove(base + headroom - tail.count, t, tail.count)
        }
        // The tail has been copied out: the previous slot may be refilled.
        if holding {
            condition.lock()
            free += 1
            condition.signal()
            condition.unlock()
        }
        holding = true
        return Chunk(base: base, count: result.count, error: result.error,
                     index: indexer != nil && result.error == nil && result.count > 0 ? indexes[slot] : nil)
    }

    /// Stops the reader thread (if it still runs) and waits for it.
    func finish() {
        guard let tid = thread else { return }
        thread = nil
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
        pthread_join(tid, nil)
    }
}
