// ObjectPool<T>: recycled objects for the transport's per-message state.
//
// Messages in flight (queued copies, decoded frames) are pooled so that, once the pool has
// warmed up, no message costs a heap allocation: objects keep their buffers and arenas across
// uses. An object goes back to the pool when its last handle is released; T::Recycle() is
// called first (drop references, keep capacity).
//
// Handles may outlive the pool (an embedder may keep a received message after stopping the
// transport): the pool's state then lingers until the last handle is released, and such objects
// are deleted instead of recycled. Single-threaded, like everything on an executor.
//
//   ObjectPool<Frame> pool(/*max_idle=*/1024);
//   PoolRef<Frame> f = pool.Acquire();   // recycled or new
//   PoolRef<Frame> g = f;                // shared: the object returns when both are gone
#ifndef UXCOM_XCOM_INTERNAL_OBJECT_POOL_H_
#define UXCOM_XCOM_INTERNAL_OBJECT_POOL_H_

#include <cstddef>
#include <utility>
#include <vector>

namespace uxcom::xcom::internal {

template <typename T>
class ObjectPool;

namespace pool_detail {

template <typename T>
struct State {
  std::vector<T*> idle;
  size_t max_idle = 0;
  size_t outstanding = 0;  // objects handed out and not yet returned
  bool orphaned = false;   // the ObjectPool is gone

  void Return(T* object) {
    // Counted down only after the object is gone: deleting or recycling it may release handles
    // into this same pool, and those nested returns must not see the count reach zero (and
    // free this state) while this one is still running.
    if (orphaned || idle.size() >= max_idle) {
      delete object;
    } else {
      object->Recycle();
      idle.push_back(object);
    }
    --outstanding;
    if (orphaned && outstanding == 0) delete this;
  }
};

}  // namespace pool_detail

// T derives from Pooled<T> to carry its reference count and its way home.
template <typename T>
class Pooled {
 public:
  int pool_refs() const { return refs_; }

 private:
  friend class ObjectPool<T>;
  template <typename>
  friend class PoolRef;
  // The pointer first: a derived class's first small member fits in the tail after refs_.
  pool_detail::State<T>* home_ = nullptr;
  int refs_ = 0;
};

// A counted reference to a pooled object (copy shares, move transfers).
template <typename T>
class PoolRef {
 public:
  PoolRef() = default;
  PoolRef(const PoolRef& other) : object_(other.object_) {
    if (object_ != nullptr) ++object_->refs_;
  }
  PoolRef(PoolRef&& other) noexcept : object_(std::exchange(other.object_, nullptr)) {}
  PoolRef& operator=(PoolRef other) noexcept {
    std::swap(object_, other.object_);
    return *this;
  }
  ~PoolRef() { Release(); }

  T* get() const { return object_; }
  T& operator*() const { return *object_; }
  T* operator->() const { return object_; }
  explicit operator bool() const { return object_ != nullptr; }

  void Release() {
    T* object = std::exchange(object_, nullptr);
    if (object != nullptr && --object->refs_ == 0) object->home_->Return(object);
  }

 private:
  friend class ObjectPool<T>;
  explicit PoolRef(T* object) : object_(object) { ++object_->refs_; }
  T* object_ = nullptr;
};

template <typename T>
class ObjectPool {
 public:
  // At most `max_idle` recycled objects are kept; more are deleted when returned.
  explicit ObjectPool(size_t max_idle) : state_(new pool_detail::State<T>) {
    state_->max_idle = max_idle;
  }
  ObjectPool(const ObjectPool&) = delete;
  ObjectPool& operator=(const ObjectPool&) = delete;
  ~ObjectPool() {
    for (T* object : state_->idle) delete object;
    state_->idle.clear();
    if (state_->outstanding == 0) {
      delete state_;
    } else {
      state_->orphaned = true;
    }
  }

  PoolRef<T> Acquire() {
    T* object;
    if (state_->idle.empty()) {
      object = new T;
      object->home_ = state_;
    } else {
      object = state_->idle.back();
      state_->idle.pop_back();
    }
    ++state_->outstanding;
    return PoolRef<T>(object);
  }

  size_t idle() const { return state_->idle.size(); }
  size_t outstanding() const { return state_->outstanding; }

 private:
  pool_detail::State<T>* state_;
};

}  // namespace uxcom::xcom::internal

#endif  // UXCOM_XCOM_INTERNAL_OBJECT_POOL_H_
