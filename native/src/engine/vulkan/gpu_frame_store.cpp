// A display's pixels on the GPU (docs/vulkan.md): the frame is a device-local buffer of ARGB
// words laid out exactly as the soft Frame (stride = width), so every operation is a buffer
// operation with the soft backend's arithmetic:
//   fill          vkCmdFillBuffer (one per row, or one for whole rows): the word as given;
//   copy          vkCmdCopyBuffer frame → scratch → frame (memmove semantics for any overlap);
//   blit, copy    source rows gathered on the CPU into a host-visible staging buffer (the rows
//                 the command decoder's RowSource checked), then into the frame: whole rows by
//                 one vkCmdCopyBuffer, a narrower rectangle by one dispatch of the blit shader
//                 (a region per row cost a discrete GPU microseconds each, docs/vulkan.md);
//   blit, over    the same staging, then the blit shader's source-over (blend.h's integers);
//   present       the commands recorded since the last submit go to the queue (vkQueueSubmit);
//   readback      vkCmdCopyBuffer of the damage into a host-visible buffer, then the fence:
//                 waited for on the caller's thread (prepareReadback), or on the completion
//                 queue's thread (beginReadback: the encode's path, so the executor carries on).
// Drawing is recorded into one of the store's drawing command buffers (two by default: one
// records while the other runs) with a full barrier between operations; it is submitted at a
// present, when its staging buffer is full, and before a readback. Every submit's completion
// (its fence, and its GPU timestamps for the trace's gpu track) runs on the completion queue's
// thread, which hands the command buffer back; the executor waits for that only when it comes
// round to the same buffer again. An asynchronous readback has a command buffer and fence of its
// own (one in flight at a time), so drawing goes on while it runs. Each command buffer begins with
// a barrier, which orders it after everything submitted before it on the queue: the other drawing
// buffer's writes before this one's reads and writes of the same frame, and a readback's reads of
// the frame before the next drawing's writes. Any Vulkan failure makes the store faulted for good
// (fault()).
#if PVG_VULKAN
#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <vector>

#include "engine/threads/job_queue.h"
#include "engine/threads/tracer.h"
#include "engine/vulkan/gpu_buffer.h"

// Vulkan's create-info structs are filled as {sType} then field by field: the rest stays zero.
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"

namespace pvg::engine::vk {
namespace {
constexpr VkDeviceSize kStagingBytes = VkDeviceSize{32} << 20;  // >= one 8192-pixel row many times over
// A fence that does not signal within this is treated as a lost device: every wait is bounded.
constexpr uint64_t kFenceLimitNs = 20'000'000'000ull;

// Timestamp queries: the readback's pair, then one pair per drawing command buffer.
constexpr uint32_t kReadbackQuery = 0;
constexpr uint32_t drawQuery(size_t slot) { return 2 + 2 * static_cast<uint32_t>(slot); }

StoreFault faultOf(VkResult r) {
  switch (r) {
    case VK_ERROR_OUT_OF_HOST_MEMORY:
    case VK_ERROR_OUT_OF_DEVICE_MEMORY:
      return StoreFault::OutOfMemory;
    case VK_ERROR_DEVICE_LOST:
      return StoreFault::DeviceLost;
    default:
      return StoreFault::DeviceError;
  }
}

class GpuFrameStore final : public FrameStore {
 public:
  GpuFrameStore(std::shared_ptr<GpuDevice> device, uint32_t display, EngineTracer* tracer, JobQueue* completions, unsigned drawBuffers)
      : g_(std::move(device)),
        f_(g_->fns),
        display_(display),
        tracer_(tracer != nullptr && tracer->enabled() ? tracer : nullptr),
        completions_(completions),
        slots_(std::clamp(drawBuffers, 1u, kMaxDrawBuffers)) {
    // A store on its own (a native test, the bench) completes on a queue of its own, untraced.
    if (completions_ == nullptr) {
      ownCompletions_ = std::make_unique<JobQueue>("pvg-gpu", 1, -1, 4);
      completions_ = ownCompletions_.get();
    }
  }
  ~GpuFrameStore() override {
    // Everything submitted comes back first. What is recorded and not submitted is dropped, not
    // submitted: the engine's completion queue may be gone by now (it is stopped, having run every
    // completion posted to it, before the stores are destroyed).
    settleReadback();
    reclaimAll();
    if (ownCompletions_) ownCompletions_->stop();
    freeFrame();
    for (DrawSlot& slot : slots_) {
      destroy(slot.staging);
      if (slot.fence) f_.vkDestroyFence(g_->device, slot.fence, nullptr);
    }
    if (rbFence_) f_.vkDestroyFence(g_->device, rbFence_, nullptr);
    if (queries_) f_.vkDestroyQueryPool(g_->device, queries_, nullptr);
    if (pool_) f_.vkDestroyCommandPool(g_->device, pool_, nullptr);
    if (descriptors_) f_.vkDestroyDescriptorPool(g_->device, descriptors_, nullptr);
  }

  bool resize(uint32_t width, uint32_t height) override {
    settleReadback();  // the readback in flight reads the old size and buffers
    if (width == 0 || height == 0 || width > Frame::kMaxDimension || height > Frame::kMaxDimension) return false;
    if (fault() != StoreFault::None || !ready()) return false;
    const size_t pixels = size_t{width} * height;
    if (pixels > capacity_) {
      finish();  // recorded commands name the old buffers: they run before the buffers go
      freeFrame();
      const VkDeviceSize bytes = VkDeviceSize{pixels} * 4;
      // The shader sees the frame through a window of at most maxStorageBufferRange bytes at a
      // dynamic offset; the tail past the frame lets a window start anywhere inside it.
      window_ = std::min<VkDeviceSize>(bytes, g_->limits.maxStorageBufferRange & ~VkDeviceSize{3});
      const VkDeviceSize frameBytes = bytes + (window_ < bytes ? window_ : 0);
      const VkBufferUsageFlags use = VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
      // The readback buffer in host-cached memory where the device has it: the CPU reads every byte
      // of it, and reads of uncached (write-combined) memory are many times slower.
      if (!make(frame_, frameBytes, use | VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, MemoryUse::Device) || !make(scratch_, bytes, use, MemoryUse::Device) ||
          !make(readback_, bytes, VK_BUFFER_USAGE_TRANSFER_DST_BIT, MemoryUse::Readback)) {
        freeFrame();
        return false;
      }
      capacity_ = pixels;
      bindDescriptors();
    }
    width_ = width;
    height_ = height;
    return true;
  }

  void release() override {
    settleReadback();
    finish();
    freeFrame();
  }
  uint32_t width() const override { return width_; }
  uint32_t height() const override { return height_; }
  size_t capacity() const override { return capacity_; }
  StoreFault fault() const override { return fault_.load(std::memory_order_acquire); }

  DrawStatus fill(Rect r, uint32_t argb, const DrawInterrupt*) override {
    if (empty()) return DrawStatus::NoFrame;
    if (!rectInside(r, width_, height_)) return DrawStatus::OutsideFrame;
    if (rectEmpty(r)) return DrawStatus::Ok;
    if (!record()) return DrawStatus::DeviceFault;
    const VkDeviceSize row = VkDeviceSize{width_} * 4;
    if (r.w == width_) {
      f_.vkCmdFillBuffer(cmd(), frame_.buffer, r.y * row, r.h * row, argb);
    } else {
      for (uint32_t y = 0; y < r.h; ++y) f_.vkCmdFillBuffer(cmd(), frame_.buffer, (r.y + y) * row + VkDeviceSize{r.x} * 4, VkDeviceSize{r.w} * 4, argb);
    }
    return DrawStatus::Ok;
  }

  DrawStatus copy(uint32_t sx, uint32_t sy, Rect dst, const DrawInterrupt*) override {
    if (empty()) return DrawStatus::NoFrame;
    if (!rectInside(dst, width_, height_) || !rectInside(Rect{sx, sy, dst.w, dst.h}, width_, height_)) return DrawStatus::OutsideFrame;
    if (rectEmpty(dst) || (sx == dst.x && sy == dst.y)) return DrawStatus::Ok;
    if (!record()) return DrawStatus::DeviceFault;
    // Through the scratch buffer (packed rows), so overlap is memmove's: the source is read whole
    // before any of it is overwritten.
    regions_.clear();
    rowRegions(Rect{sx, sy, dst.w, dst.h}, 0, /*toPacked=*/true);
    f_.vkCmdCopyBuffer(cmd(), frame_.buffer, scratch_.buffer, static_cast<uint32_t>(regions_.size()), regions_.data());
    barrier();
    regions_.clear();
    rowRegions(dst, 0, /*toPacked=*/false);
    f_.vkCmdCopyBuffer(cmd(), scratch_.buffer, frame_.buffer, static_cast<uint32_t>(regions_.size()), regions_.data());
    return DrawStatus::Ok;
  }

  DrawStatus blit(Rect dst, BlendMode mode, RowSource& source, const DrawInterrupt*) override {
    if (empty()) return DrawStatus::NoFrame;
    if (mode != BlendMode::Copy && mode != BlendMode::SourceOver) return DrawStatus::BadMode;
    if (!rectInside(dst, width_, height_)) return DrawStatus::OutsideFrame;
    if (rectEmpty(dst)) return DrawStatus::Ok;
    const VkDeviceSize rowBytes = VkDeviceSize{dst.w} * 4;
    // Whole rows are one contiguous copy; anything narrower goes through the shader, one dispatch,
    // rather than a copy region per row.
    const bool viaShader = mode == BlendMode::SourceOver || dst.w != width_;
    // Rows in chunks that fit the staging buffer (and, for the shader, the frame window).
    uint32_t chunkRows = static_cast<uint32_t>(std::max<VkDeviceSize>(1, kStagingBytes / rowBytes));
    if (viaShader && window_ < frame_.bytes) {
      const VkDeviceSize windowRows = (window_ - g_->limits.minStorageBufferOffsetAlignment) / (VkDeviceSize{width_} * 4);
      chunkRows = static_cast<uint32_t>(std::min<VkDeviceSize>(chunkRows, std::max<VkDeviceSize>(1, windowRows)));
    }
    for (uint32_t y0 = 0; y0 < dst.h; y0 += chunkRows) {
      const uint32_t rows = std::min(chunkRows, dst.h - y0);
      if (stagingUsed_ + rows * rowBytes > kStagingBytes && !submit()) return DrawStatus::DeviceFault;
      if (!record()) return DrawStatus::DeviceFault;
      const VkDeviceSize at = stagingUsed_;
      uint32_t got = 0;
      for (; got < rows; ++got) {
        const uint8_t* s = source.row(y0 + got);
        if (s == nullptr) break;
        std::memcpy(slots_[current_].staging.mapped + at + got * rowBytes, s, rowBytes);
      }
      stagingUsed_ += got * rowBytes;
      if (got != 0) drawStaged(Rect{dst.x, dst.y + y0, dst.w, got}, mode, at, viaShader);
      if (got != rows) return DrawStatus::SourceFault;  // the rows before it stay drawn, as the soft blit's
    }
    return DrawStatus::Ok;
  }

  void present() override {
    if (recording_) submit();
  }

  bool prepareReadback(std::span<const Rect> regions) override {
    settleReadback();  // it writes the same host-visible buffer
    if (fault() != StoreFault::None) return false;
    if (regions.empty() || empty()) return true;
    if (!record()) return false;
    readbackRegions(regions);
    if (!regions_.empty()) f_.vkCmdCopyBuffer(cmd(), frame_.buffer, readback_.buffer, static_cast<uint32_t>(regions_.size()), regions_.data());
    return submit() && reclaimAll() && invalidateReadback(readSpan_);
  }

  bool asyncReadback() const override { return true; }

  // The drawing so far is submitted; then the copy goes to the queue in a command buffer of its
  // own, and the completion queue's thread waits for its fence (completeReadback). The executor
  // does not wait: it records the next drawing while the copy runs.
  bool beginReadback(std::span<const Rect> regions, ReadbackDone done) override {
    settleReadback();
    if (fault() != StoreFault::None || empty() || !readyReadback() || !submit()) return false;
    readbackRegions(regions);
    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    if (failed(f_.vkResetCommandBuffer(rbCmd_, 0)) || failed(f_.vkBeginCommandBuffer(rbCmd_, &begin))) return false;
    barrier(rbCmd_);  // after the drawing submitted before it
    startTimestamps(rbCmd_, kReadbackQuery);
    VkDeviceSize bytes = 0;
    for (const VkBufferCopy& c : regions_) bytes += c.size;
    if (!regions_.empty()) f_.vkCmdCopyBuffer(rbCmd_, frame_.buffer, readback_.buffer, static_cast<uint32_t>(regions_.size()), regions_.data());
    hostBarrier(rbCmd_);
    endTimestamps(rbCmd_, kReadbackQuery);
    if (failed(f_.vkEndCommandBuffer(rbCmd_))) return false;
    double submitted = 0;
    if (!queueSubmit(rbCmd_, rbFence_, static_cast<double>(bytes), &submitted)) return false;
    {
      std::lock_guard lock(rbMutex_);
      rbBusy_ = true;
      rbDone_ = std::move(done);
      rbSubmittedUs_ = submitted;
      rbBytes_ = bytes;
      rbSpan_ = readSpan_;
    }
    // A stopping queue takes no job: the completion runs here instead (it still waits for the fence).
    if (!completions_->post(Job{&GpuFrameStore::completeJob, this, {}})) completeReadback();
    return true;
  }

  void settleReadback() override {
    std::unique_lock lock(rbMutex_);
    rbSettled_.wait(lock, [this] { return !rbBusy_; });
  }

  bool copyRegionTo(uint8_t* dst, size_t dstBytes, uint32_t dstStrideBytes, Rect region) const override {
    if (empty() || !rectInside(region, width_, height_)) return false;
    if (rectEmpty(region)) return true;
    const uint64_t rowBytes = uint64_t{region.w} * 4;
    if (dst == nullptr || dstStrideBytes < rowBytes || uint64_t{region.h - 1} * dstStrideBytes + rowBytes > dstBytes) return false;
    const uint64_t stride = uint64_t{width_} * 4;
    for (uint32_t y = 0; y < region.h; ++y)
      std::memcpy(dst + uint64_t{y} * dstStrideBytes, readback_.mapped + (region.y + y) * stride + uint64_t{region.x} * 4, rowBytes);
    return true;
  }

 private:
  // A drawing command buffer; they are used in turn: the executor records into slots_[current_] while
  // the others may be on the GPU. A submitted one is the completion thread's (its fence, its
  // timestamp queries) until completeDraw hands it back (busy, under drawMutex_).
  struct DrawSlot {
    VkCommandBuffer cmd = VK_NULL_HANDLE;
    VkFence fence = VK_NULL_HANDLE;
    VkDescriptorSet set = VK_NULL_HANDLE;
    Buffer staging;
    bool busy = false;  // submitted, its completion not yet run
    double submittedUs = 0;
    VkDeviceSize stagedBytes = 0;
  };

  bool failed(VkResult r) {
    if (r == VK_SUCCESS) return false;
    StoreFault none = StoreFault::None;
    fault_.compare_exchange_strong(none, faultOf(r), std::memory_order_acq_rel);  // the first fault stays
    return true;
  }

  // The readback's command buffer and fence, made on first use.
  bool readyReadback() {
    if (rbCmd_ != VK_NULL_HANDLE) return fault() == StoreFault::None;
    if (!ready()) return false;
    VkCommandBufferAllocateInfo cmdInfo{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    cmdInfo.commandPool = pool_;
    cmdInfo.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    cmdInfo.commandBufferCount = 1;
    if (failed(f_.vkAllocateCommandBuffers(g_->device, &cmdInfo, &rbCmd_))) return false;
    VkFenceCreateInfo fenceInfo{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    return !failed(f_.vkCreateFence(g_->device, &fenceInfo, nullptr, &rbFence_));
  }

  // Relates the GPU's timestamp clock to the trace's (monotonicMicros): one timestamp written by
  // an otherwise empty submit, taken to be at the midpoint of the host's submit and fence return.
  // The error is at most half that round trip (measured once per store; the clocks' drift over a
  // run is not corrected). Without VK_EXT_calibrated_timestamps this is what Vulkan offers.
  // Runs on the executor when the store is first used, on the first drawing command buffer
  // before it has been submitted.
  bool calibrate() {
    const DrawSlot& slot = slots_[0];
    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    if (failed(f_.vkBeginCommandBuffer(slot.cmd, &begin))) return false;
    f_.vkCmdResetQueryPool(slot.cmd, queries_, 0, 2);
    f_.vkCmdWriteTimestamp(slot.cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, queries_, 0);
    if (failed(f_.vkEndCommandBuffer(slot.cmd))) return false;
    double before = 0;  // calibrated only when tracing: the host clock just before the submit
    if (!queueSubmit(slot.cmd, slot.fence, 0, &before)) return false;
    VkResult r = f_.vkWaitForFences(g_->device, 1, &slot.fence, VK_TRUE, kFenceLimitNs);
    const double after = EngineTracer::now();
    if (failed(r == VK_TIMEOUT ? VK_ERROR_DEVICE_LOST : r) || failed(f_.vkResetFences(g_->device, 1, &slot.fence))) return false;
    uint64_t ticks = 0;
    if (f_.vkGetQueryPoolResults(g_->device, queries_, 0, 1, sizeof ticks, &ticks, sizeof ticks, VK_QUERY_RESULT_64_BIT) != VK_SUCCESS) {
      f_.vkDestroyQueryPool(g_->device, queries_, nullptr);  // no timestamps in the trace, nothing worse
      queries_ = VK_NULL_HANDLE;
      return true;
    }
    gpuZeroUs_ = (before + after) / 2 - gpuMicros(ticks);
    return true;
  }

  double gpuMicros(uint64_t ticks) const {
    const uint64_t mask = g_->timestampBits >= 64 ? ~uint64_t{0} : (uint64_t{1} << g_->timestampBits) - 1;
    return static_cast<double>(ticks & mask) * static_cast<double>(g_->limits.timestampPeriod) / 1000.0;
  }

  static void completeJob(void* self, const std::array<uint64_t, 4>&) { static_cast<GpuFrameStore*>(self)->completeReadback(); }

  // On the completion queue's thread: the fence (bounded), the GPU's own times into the trace,
  // then `done`; the store is settled once it returned.
  void completeReadback() {
    double submitted;
    VkDeviceSize bytes;
    ByteSpan span;
    {
      std::lock_guard lock(rbMutex_);
      submitted = rbSubmittedUs_;
      bytes = rbBytes_;
      span = rbSpan_;
    }
    const bool ok = awaitFence(rbFence_, trace::Event::gpu_readback, kReadbackQuery, submitted, static_cast<double>(bytes)) && invalidateReadback(span);
    ReadbackDone done;
    {
      std::lock_guard lock(rbMutex_);
      done = std::move(rbDone_);
    }
    if (done) done(ok);
    done = nullptr;  // what it held goes before the store may (settled) go
    // Notified under the lock: a settled store may be destroyed as soon as the waiter sees it.
    std::lock_guard lock(rbMutex_);
    rbBusy_ = false;
    rbSettled_.notify_all();
  }

  // The damage rectangles (inside the frame, non-empty) as copies frame → readback buffer at the
  // same offsets; readSpan_: the bytes they write.
  void readbackRegions(std::span<const Rect> regions) {
    regions_.clear();
    for (const Rect& r : regions) {
      if (!rectInside(r, width_, height_) || rectEmpty(r)) continue;
      rowRegions(r, 0, /*toPacked=*/false, /*sameOffsets=*/true);
    }
    readSpan_ = ByteSpan{};
    if (regions_.empty()) return;
    readSpan_.first = regions_.front().dstOffset;
    for (const VkBufferCopy& c : regions_) {
      readSpan_.first = std::min(readSpan_.first, c.dstOffset);
      readSpan_.end = std::max(readSpan_.end, c.dstOffset + c.size);
    }
  }

  // After the fence, before the CPU reads the readback buffer (a no-op on HOST_COHERENT memory).
  bool invalidateReadback(ByteSpan span) { return !failed(invalidateForHost(*g_, readback_, span)); }

  // One submit to the engine's queue (shared by its displays: Vulkan wants its submits serialised).
  // *submitted: when it began (the gpu_submit span's start; the gpu track's span starts there too).
  bool queueSubmit(VkCommandBuffer cmd, VkFence fence, double stagedBytes, double* submitted) {
    VkSubmitInfo info{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    info.commandBufferCount = 1;
    info.pCommandBuffers = &cmd;
    VkResult r;
    *submitted = tracer_ ? EngineTracer::now() : 0;
    {
      std::lock_guard lock(g_->queueMutex);
      r = f_.vkQueueSubmit(g_->queue, 1, &info, fence);
    }
    if (tracer_) tracer_->span(trace::Event::gpu_submit, *submitted, display_, stagedBytes);
    return !failed(r);
  }

  // The command pool, the drawing command buffers (each with its fence, staging buffer and
  // descriptor set) and, when tracing on a queue with timestamps, the query pool: on first use.
  bool ready() {
    if (pool_ != VK_NULL_HANDLE) return fault() == StoreFault::None;
    VkCommandPoolCreateInfo poolInfo{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    poolInfo.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
    poolInfo.queueFamilyIndex = g_->queueFamily;
    if (failed(f_.vkCreateCommandPool(g_->device, &poolInfo, nullptr, &pool_))) return false;
    VkCommandBufferAllocateInfo cmdInfo{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    cmdInfo.commandPool = pool_;
    cmdInfo.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    const auto n = static_cast<uint32_t>(slots_.size());
    const VkDescriptorPoolSize sizes[2] = {{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER_DYNAMIC, n}, {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, n}};
    VkDescriptorPoolCreateInfo dpInfo{VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
    dpInfo.maxSets = n;
    dpInfo.poolSizeCount = 2;
    dpInfo.pPoolSizes = sizes;
    if (failed(f_.vkCreateDescriptorPool(g_->device, &dpInfo, nullptr, &descriptors_))) return false;
    // Each drawing command buffer has its own staging buffer (the host fills one while the GPU
    // reads the other) and so its own descriptor set (the shader reads the staging through it).
    for (DrawSlot& slot : slots_) {
      cmdInfo.commandBufferCount = 1;
      if (failed(f_.vkAllocateCommandBuffers(g_->device, &cmdInfo, &slot.cmd))) return false;
      VkFenceCreateInfo fenceInfo{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
      if (failed(f_.vkCreateFence(g_->device, &fenceInfo, nullptr, &slot.fence))) return false;
      VkDescriptorSetAllocateInfo setInfo{VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
      setInfo.descriptorPool = descriptors_;
      setInfo.descriptorSetCount = 1;
      setInfo.pSetLayouts = &g_->setLayout;
      if (failed(f_.vkAllocateDescriptorSets(g_->device, &setInfo, &slot.set))) return false;
      if (!make(slot.staging, kStagingBytes, VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, MemoryUse::Upload)) return false;
    }
    if (!g_->timestamps || tracer_ == nullptr) return true;  // timestamps only feed the trace
    // The GPU clock is related to the trace's clock once, now.
    VkQueryPoolCreateInfo queryInfo{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
    queryInfo.queryType = VK_QUERY_TYPE_TIMESTAMP;
    queryInfo.queryCount = drawQuery(slots_.size());
    if (failed(f_.vkCreateQueryPool(g_->device, &queryInfo, nullptr, &queries_))) return false;
    return calibrate();
  }

  bool make(Buffer& b, VkDeviceSize bytes, VkBufferUsageFlags usage, MemoryUse use) { return !failed(makeBuffer(*g_, b, bytes, usage, use)); }
  void destroy(Buffer& b) { destroyBuffer(*g_, b); }

  void freeFrame() {
    destroy(frame_);
    destroy(scratch_);
    destroy(readback_);
    capacity_ = 0;
    width_ = height_ = 0;
    window_ = 0;
  }

  // Only with every drawing command buffer back (a set must not change under a pending one).
  void bindDescriptors() {
    for (const DrawSlot& slot : slots_) {
      VkDescriptorBufferInfo frameInfo{frame_.buffer, 0, window_};
      VkDescriptorBufferInfo stagedInfo{slot.staging.buffer, 0, kStagingBytes};
      VkWriteDescriptorSet writes[2]{};
      writes[0] = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET, nullptr, slot.set, 0, 0, 1, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER_DYNAMIC, nullptr, &frameInfo, nullptr};
      writes[1] = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET, nullptr, slot.set, 1, 0, 1, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, nullptr, &stagedInfo, nullptr};
      f_.vkUpdateDescriptorSets(g_->device, 2, writes, 0, nullptr);
    }
  }

  VkCommandBuffer cmd() const { return slots_[current_].cmd; }

  // Ready to record one more operation: the current drawing command buffer begun (once it came
  // back from its previous submit), and a barrier after whatever was recorded before.
  bool record() {
    if (fault() != StoreFault::None || !ready()) return false;
    if (recording_) {
      barrier();
      return true;
    }
    DrawSlot& slot = slots_[current_];
    if (!reclaim(slot)) return false;
    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    if (failed(f_.vkResetCommandBuffer(slot.cmd, 0)) || failed(f_.vkBeginCommandBuffer(slot.cmd, &begin))) return false;
    recording_ = true;
    // After everything submitted before it: the other drawing buffer, which may still be writing
    // the frame (and the scratch buffer), and a readback, which may still be reading it.
    barrier();
    startTimestamps(slot.cmd, drawQuery(current_));
    return true;
  }

  // Every transfer and shader access before it (in this command buffer, and in everything
  // submitted to the queue before it) done, and their writes visible, before any after it.
  void barrier(VkCommandBuffer cmd) {
    VkMemoryBarrier b{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    b.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT | VK_ACCESS_SHADER_WRITE_BIT;
    b.dstAccessMask = VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT | VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT;
    const VkPipelineStageFlags stages = VK_PIPELINE_STAGE_TRANSFER_BIT | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT;
    f_.vkCmdPipelineBarrier(cmd, stages, stages, 0, 1, &b, 0, nullptr, 0, nullptr);
  }
  void barrier() { barrier(cmd()); }

  // The end of a command buffer: its writes visible to the host once its fence signals.
  void hostBarrier(VkCommandBuffer cmd) {
    VkMemoryBarrier b{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    b.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT | VK_ACCESS_SHADER_WRITE_BIT;
    b.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
    f_.vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_TRANSFER_BIT | VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &b, 0, nullptr, 0,
                            nullptr);
  }

  // A command buffer's GPU time (where tracing has timestamps): a bottom-of-pipe timestamp after
  // its opening barrier (written once everything submitted before it has finished, so the span
  // does not include waiting behind the other buffer) and one after its last command.
  void startTimestamps(VkCommandBuffer cmd, uint32_t first) {
    if (!queries_) return;
    f_.vkCmdResetQueryPool(cmd, queries_, first, 2);
    f_.vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, queries_, first);
  }
  void endTimestamps(VkCommandBuffer cmd, uint32_t first) {
    if (queries_) f_.vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, queries_, first + 1);
  }

  // The end of the commands: made visible to the host, ended, submitted with the buffer's fence.
  // Its completion goes to the completion queue; recording goes on in the next buffer.
  bool submit() {
    if (!recording_) return fault() == StoreFault::None;
    const size_t index = current_;
    DrawSlot& slot = slots_[index];
    hostBarrier(slot.cmd);
    endTimestamps(slot.cmd, drawQuery(index));
    recording_ = false;
    const VkDeviceSize staged = stagingUsed_;
    stagingUsed_ = 0;
    if (failed(f_.vkEndCommandBuffer(slot.cmd))) return false;
    double submitted = 0;
    if (!queueSubmit(slot.cmd, slot.fence, static_cast<double>(staged), &submitted)) return false;
    {
      std::lock_guard lock(drawMutex_);
      slot.busy = true;
      slot.submittedUs = submitted;
      slot.stagedBytes = staged;
    }
    current_ = (current_ + 1) % slots_.size();
    // A stopping queue takes no job: the completion runs here instead.
    if (!completions_->post(Job{&GpuFrameStore::completeDrawJob, this, {index}})) completeDraw(index);
    return true;
  }

  // Every command recorded so far submitted and done (before buffers they name are freed).
  void finish() {
    submit();
    reclaimAll();
  }

  // Waits until the buffer's last submit has completed (on the completion thread): its command
  // buffer, fence and staging buffer are the executor's again.
  bool reclaim(DrawSlot& slot) {
    const double start = tracer_ ? EngineTracer::now() : 0;
    bool waited = false;
    {
      std::unique_lock lock(drawMutex_);
      waited = slot.busy;
      drawSettled_.wait(lock, [&] { return !slot.busy; });
    }
    if (tracer_ && waited) tracer_->span(trace::Event::gpu_fence_wait, start, display_);
    return fault() == StoreFault::None;
  }
  bool reclaimAll() {
    bool ok = true;
    for (DrawSlot& slot : slots_) ok = reclaim(slot) && ok;
    return ok;
  }

  static void completeDrawJob(void* self, const std::array<uint64_t, 4>& args) { static_cast<GpuFrameStore*>(self)->completeDraw(args[0]); }

  // On the completion queue's thread: a drawing submit's fence (bounded), its GPU time into the
  // trace, then the buffer handed back to the executor.
  void completeDraw(size_t index) {
    DrawSlot& slot = slots_[index];
    double submitted;
    VkDeviceSize staged;
    {
      std::lock_guard lock(drawMutex_);
      submitted = slot.submittedUs;
      staged = slot.stagedBytes;
    }
    awaitFence(slot.fence, trace::Event::gpu_draw, drawQuery(index), submitted, static_cast<double>(staged));
    // Notified under the lock: a store whose buffers are all back may be destroyed at once.
    std::lock_guard lock(drawMutex_);
    slot.busy = false;
    drawSettled_.notify_all();
  }

  // On the completion queue's thread: waits for a submit's fence (bounded; past the limit the
  // device counts as lost), resets it, and traces on this thread's ring (the gpu track) the wait
  // itself (gpu_fence_wait), the submit from its vkQueueSubmit until the fence was seen signalled
  // (`what`), and inside that its commands' GPU time from their timestamps (gpu_exec), clamped
  // into it: the calibration's error must not put it outside what the host saw.
  bool awaitFence(VkFence fence, trace::Event what, uint32_t firstQuery, double submitted, double bytes) {
    const double start = tracer_ ? EngineTracer::now() : 0;
    VkResult r = f_.vkWaitForFences(g_->device, 1, &fence, VK_TRUE, kFenceLimitNs);
    const double signalled = tracer_ ? EngineTracer::now() : 0;
    if (r == VK_TIMEOUT) r = VK_ERROR_DEVICE_LOST;
    const bool ok = !failed(r) && !failed(f_.vkResetFences(g_->device, 1, &fence));
    if (!tracer_) return ok;
    tracer_->complete(trace::Event::gpu_fence_wait, start, signalled, display_);
    tracer_->complete(what, submitted, signalled, display_, bytes);
    uint64_t ticks[2] = {0, 0};
    if (ok && queries_ &&
        f_.vkGetQueryPoolResults(g_->device, queries_, firstQuery, 2, sizeof ticks, ticks, sizeof ticks[0], VK_QUERY_RESULT_64_BIT) == VK_SUCCESS) {
      const double from = std::clamp(gpuZeroUs_ + gpuMicros(ticks[0]), submitted, signalled);
      const double to = std::clamp(gpuZeroUs_ + gpuMicros(ticks[1]), from, signalled);
      tracer_->complete(trace::Event::gpu_exec, from, to, display_, bytes);
    }
    return ok;
  }

  // One VkBufferCopy per row of r (one for r when it is whole rows): from the frame at r, into
  // packed rows at `packedAt` (toPacked), from packed rows into the frame at r (!toPacked), or
  // frame to frame-shaped buffer at the same offsets (sameOffsets).
  void rowRegions(Rect r, VkDeviceSize packedAt, bool toPacked, bool sameOffsets = false) {
    const VkDeviceSize stride = VkDeviceSize{width_} * 4, rowBytes = VkDeviceSize{r.w} * 4;
    if (r.w == width_) {
      const VkDeviceSize at = VkDeviceSize{r.y} * stride;
      regions_.push_back(sameOffsets ? VkBufferCopy{at, at, r.h * stride}
                         : toPacked  ? VkBufferCopy{at, packedAt, r.h * stride}
                                     : VkBufferCopy{packedAt, at, r.h * stride});
      return;
    }
    for (uint32_t y = 0; y < r.h; ++y) {
      const VkDeviceSize at = (r.y + y) * stride + VkDeviceSize{r.x} * 4, packed = packedAt + y * rowBytes;
      regions_.push_back(sameOffsets ? VkBufferCopy{at, at, rowBytes} : toPacked ? VkBufferCopy{at, packed, rowBytes} : VkBufferCopy{packed, at, rowBytes});
    }
  }

  // Draws staged rows (packed, at staging offset `at`) into r: by the blit shader, or (a copy of
  // whole rows) by one copy.
  void drawStaged(Rect r, BlendMode mode, VkDeviceSize at, bool viaShader) {
    if (!viaShader) {
      regions_.clear();
      rowRegions(r, at, /*toPacked=*/false);
      f_.vkCmdCopyBuffer(cmd(), slots_[current_].staging.buffer, frame_.buffer, static_cast<uint32_t>(regions_.size()), regions_.data());
      return;
    }
    // The window starts at the first pixel's offset rounded down to the alignment, and never
    // runs past the buffer (which has a window's worth of tail when the frame is larger).
    const VkDeviceSize first = (VkDeviceSize{r.y} * width_ + r.x) * 4;
    const VkDeviceSize align = std::max<VkDeviceSize>(4, g_->limits.minStorageBufferOffsetAlignment);
    const VkDeviceSize offset = window_ < frame_.bytes ? first / align * align : 0;
    const uint32_t dynamicOffset = static_cast<uint32_t>(offset);
    const BlendPush push{width_, static_cast<uint32_t>((first - offset) / 4), r.w, r.h, static_cast<uint32_t>(at / 4), mode == BlendMode::Copy ? 1u : 0u};
    f_.vkCmdBindPipeline(cmd(), VK_PIPELINE_BIND_POINT_COMPUTE, g_->blendPipeline);
    f_.vkCmdBindDescriptorSets(cmd(), VK_PIPELINE_BIND_POINT_COMPUTE, g_->pipelineLayout, 0, 1, &slots_[current_].set, 1, &dynamicOffset);
    f_.vkCmdPushConstants(cmd(), g_->pipelineLayout, VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof(push), &push);
    f_.vkCmdDispatch(cmd(), (r.w + 15) / 16, (r.h + 15) / 16, 1);
  }

  std::shared_ptr<GpuDevice> g_;
  const Fns& f_;
  uint32_t display_;
  EngineTracer* tracer_;   // null: not tracing
  JobQueue* completions_;  // where completeReadback runs
  std::unique_ptr<JobQueue> ownCompletions_;
  // Set by the executor or by the completion thread (a fence that failed): the first one stays.
  std::atomic<StoreFault> fault_{StoreFault::None};
  VkCommandPool pool_ = VK_NULL_HANDLE;
  VkDescriptorPool descriptors_ = VK_NULL_HANDLE;
  Buffer frame_, scratch_, readback_;
  VkDeviceSize window_ = 0;  // bytes of the frame the shader sees at once

  // The drawing command buffers, used in turn (slots_ below).
  std::vector<DrawSlot> slots_;
  size_t current_ = 0;            // the one recorded into next
  VkDeviceSize stagingUsed_ = 0;  // bytes of its staging the recorded commands read
  bool recording_ = false;
  std::mutex drawMutex_;
  std::condition_variable drawSettled_;
  size_t capacity_ = 0;
  uint32_t width_ = 0, height_ = 0;
  std::vector<VkBufferCopy> regions_;
  ByteSpan readSpan_;  // the bytes of the readback buffer the last readback's copy wrote

  // The asynchronous readback: its command buffer, fence and timestamp queries (recorded by the
  // executor, the fence waited for and reset by the completion thread: one in flight at a time,
  // handed over under rbMutex_).
  VkCommandBuffer rbCmd_ = VK_NULL_HANDLE;
  VkFence rbFence_ = VK_NULL_HANDLE;
  VkQueryPool queries_ = VK_NULL_HANDLE;  // null: no timestamps (none on the queue, or not tracing)
  double gpuZeroUs_ = 0;                  // the trace clock at GPU timestamp 0 (calibrate)
  std::mutex rbMutex_;
  std::condition_variable rbSettled_;
  bool rbBusy_ = false;  // submitted, `done` not yet returned
  ReadbackDone rbDone_;
  double rbSubmittedUs_ = 0;
  VkDeviceSize rbBytes_ = 0;
  ByteSpan rbSpan_;
};
}  // namespace

std::unique_ptr<FrameStore> makeFrameStore(const std::shared_ptr<GpuDevice>& device, uint32_t display, EngineTracer* tracer, JobQueue* completions,
                                           unsigned drawBuffers) {
  return std::make_unique<GpuFrameStore>(device, display, tracer, completions, drawBuffers);
}
}  // namespace pvg::engine::vk
#endif
