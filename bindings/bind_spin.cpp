// The spin watch (virtual time). Only the device thread holding the baton runs,
// so one that loops in plain Python (`while flag: pass`) without calling into
// the module would hold it for ever: no other device thread, timer or fault
// could run and device time would freeze. A host thread looks every kLook of
// wall time (50 ms) at who holds the baton; a holder whose call count has not moved
// since the last look is spinning, and the watch sets a C line tracer on that
// Python thread. The tracer charges the module's line_cost per line, in
// batches of kLinesPerCharge (the thread sleeps that long in device time and
// the others run), until the thread calls into the module again; then it takes
// itself off, so code that does not spin runs untraced, at full speed.
//
// Only lines of the device's own code are charged: the script, its /usr
// modules, a test's device thread. qpysim's Python (the frozen libraries, the
// source translation of an import) and the Python installation's (stdlib,
// site-packages) run free, as the firmware's C does: a slow PC (a sanitizer
// build) that makes an import look like a spin must not move device time.
//
// A thread waiting on a flag replays exactly: it is charged from the device
// time at which it began to spin, in fixed steps. How many lines ran before
// the watch noticed depends on wall time: a loop counting its own iterations,
// or a long computation (charged only once noticed), can differ between runs
// (README "Device time cannot freeze").
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <Python.h>
#include <frameobject.h>

#include "common.hpp"

namespace qpysim::py_bindings {

namespace {

constexpr auto kLook = std::chrono::milliseconds(50);
constexpr std::uint64_t kLinesPerCharge = 1000;
constexpr const char* kCapsule = "qpysim.spin";

struct SpinState {
    std::shared_ptr<Modem> modem;
    unsigned long ident = 0;  // the Python thread it was set for
    std::uint64_t calls = 0;  // its call count when the watch saw it spin
    std::uint64_t lines = 0;
    PyObject* last_code = nullptr;  // strong: the verdict below is for it
    bool last_device = false;
    ~SpinState() { Py_XDECREF(last_code); }
};

// Folders of code that is not the device's: qpysim's package and the Python
// installation's library folders. Set once, GIL held (set_tracer).
std::vector<std::string>& host_folders() {
    static std::vector<std::string> folders;
    return folders;
}

void find_host_folders() {
    auto& folders = host_folders();
    if (!folders.empty()) return;
    try {
        const py::module_ os_path = py::module_::import("os.path");
        // As given and with links resolved, each ending in the separator.
        const auto add = [&](const py::handle& path) {
            if (path.is_none()) return;
            for (const py::object& p :
                 {py::reinterpret_borrow<py::object>(path), os_path.attr("realpath")(path)}) {
                folders.push_back(py::str(os_path.attr("join")(p, "")));
            }
        };
        add(os_path.attr("dirname")(py::module_::import("qpysim").attr("__file__")));
        const py::dict paths = py::module_::import("sysconfig").attr("get_paths")();
        for (const char* key : {"stdlib", "platstdlib", "purelib", "platlib"}) {
            if (paths.contains(key)) add(paths[key]);
        }
    } catch (const std::exception&) {
        folders.clear();  // then every line counts, as before
    }
}

// Is `code` the device's (its lines are charged)? Frozen and host code is not.
bool device_code(PyCodeObject* code) {
    const char* name = PyUnicode_AsUTF8(code->co_filename);
    if (!name) {
        PyErr_Clear();
        return true;
    }
    if (std::strncmp(name, "<frozen ", 8) == 0) return false;
    std::string file = name;
    for (const std::string& f : host_folders()) {
        if (file.compare(0, f.size(), f) == 0) return false;
    }
    return true;
}

int spin_tracer(PyObject* obj, PyFrameObject*, int what, PyObject*);

void take_off(PyObject* obj) {
    Py_INCREF(obj);  // PyEval_SetTrace drops the tracer's reference to it
    PyEval_SetTrace(nullptr, nullptr);
    Py_DECREF(obj);
}

int spin_tracer(PyObject* obj, PyFrameObject* frame, int what, PyObject*) {
    if (what != PyTrace_LINE) return 0;
    auto* st = static_cast<SpinState*>(PyCapsule_GetPointer(obj, kCapsule));
    if (!st) return -1;
    if (st->ident != PyThread_get_thread_ident()) {  // set on every thread (3.13+)
        take_off(obj);
        return 0;
    }
    PyCodeObject* code = PyFrame_GetCode(frame);  // new reference
    if (reinterpret_cast<PyObject*>(code) != st->last_code) {
        Py_XDECREF(st->last_code);
        st->last_code = reinterpret_cast<PyObject*>(code);
        Py_INCREF(st->last_code);
        st->last_device = device_code(code);
    }
    Py_DECREF(code);
    if (!st->last_device) return 0;
    if (++st->lines < kLinesPerCharge) return 0;
    st->lines = 0;
    std::uint64_t calls = 0;
    bool device = false;
    // st must outlive the GIL's release below, whatever happens to the trace.
    const py::object keep = py::reinterpret_borrow<py::object>(obj);
    try {
        {
            py::gil_scoped_release nogil;
            auto lk = st->modem->lock();
            device = st->modem->sched().is_participant();
            calls = st->modem->sched().calls_of_current();
        }
        // It called into the module (not spinning), or it is no longer a
        // device thread of that module (the run is over).
        if (!device || calls != st->calls) {
            take_off(obj);
            return 0;
        }
        py::gil_scoped_release nogil;
        st->modem->charge_lines(kLinesPerCharge);
    } catch (const Halted& e) {
        take_off(obj);  // once: the thread's own clean-up runs untraced
        set_halted_error(e.what());
        return -1;
    } catch (py::error_already_set& e) {  // Ctrl-C while it slept
        e.restore();
        return -1;
    }
    return 0;
}

// Set the tracer on the Python thread `ident`, unless it has a trace function
// already (a debugger or coverage: left alone). GIL held.
void set_tracer(const std::shared_ptr<Modem>& md, unsigned long ident, std::uint64_t calls) {
    for (PyThreadState* ts = PyInterpreterState_ThreadHead(PyInterpreterState_Main()); ts;
         ts = PyThreadState_Next(ts)) {
        if (ts->thread_id != ident) continue;
        // Ours already (it takes itself off when it is stale), or a
        // debugger's or coverage's: left alone.
        if (ts->c_tracefunc != nullptr) return;
        find_host_folders();
        auto* st = new SpinState{md, ident, calls, 0};
        PyObject* cap = PyCapsule_New(st, kCapsule, [](PyObject* c) {
            delete static_cast<SpinState*>(PyCapsule_GetPointer(c, kCapsule));
        });
        if (!cap) {
            delete st;
            PyErr_Clear();
            return;
        }
#if PY_VERSION_HEX >= 0x030D0000
        PyEval_SetTraceAllThreads(spin_tracer, cap);  // the others take it off at once
#else
        if (_PyEval_SetTrace(ts, spin_tracer, cap) != 0) PyErr_Clear();
#endif
        Py_DECREF(cap);
        return;
    }
}

bool finalizing() {
#if PY_VERSION_HEX >= 0x030D0000
    return Py_IsFinalizing() != 0;
#else
    return _Py_IsFinalizing() != 0;
#endif
}

class SpinWatch {
  public:
    explicit SpinWatch(std::shared_ptr<Modem> md) : modem_(std::move(md)) {
        if (modem_->sched().is_virtual()) thread_ = std::thread([this] { run(); });
    }
    ~SpinWatch() { close(); }
    SpinWatch(const SpinWatch&) = delete;
    SpinWatch& operator=(const SpinWatch&) = delete;

    // Stop and join the watch. The GIL must not be held: the watch may be
    // waiting for it.
    void close() {
        {
            std::lock_guard lk(mu_);
            stop_ = true;
        }
        cv_.notify_all();
        if (thread_.joinable()) thread_.join();
    }

  private:
    void run() {
        std::optional<Scheduler::SpinProbe> last;
        std::unique_lock lk(mu_);
        while (!cv_.wait_for(lk, kLook, [this] { return stop_; })) {
            std::optional<Scheduler::SpinProbe> now;
            {
                auto ml = modem_->lock();
                if (modem_->sched().halted()) return;
                now = modem_->sched().spin_probe();
            }
            if (now && last && now->participant == last->participant && now->calls == last->calls) {
                const unsigned long ident = python_ident_of(now->thread);
                if (ident != 0) {
                    lk.unlock();
                    if (Py_IsInitialized() && !finalizing()) {
                        const PyGILState_STATE g = PyGILState_Ensure();
                        set_tracer(modem_, ident, now->calls);
                        PyGILState_Release(g);
                    }
                    lk.lock();
                }
            }
            last = now;
        }
    }

    std::shared_ptr<Modem> modem_;
    std::mutex mu_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::thread thread_;
};

}  // namespace

void bind_spin(py::module_& m) {
    m.def(
        "clear_spin_trace",
        [] {
            if (PyThreadState_Get()->c_tracefunc == spin_tracer) PyEval_SetTrace(nullptr, nullptr);
        },
        "Take the spin watch's tracer off the calling thread, if it is there.");
    py::class_<SpinWatch>(m, "SpinWatch",
                          "Preempts a device thread spinning in plain Python (virtual time).")
        .def(py::init<std::shared_ptr<Modem>>(), py::arg("modem"),
             py::call_guard<py::gil_scoped_release>())
        .def("close", &SpinWatch::close, py::call_guard<py::gil_scoped_release>());
}

}  // namespace qpysim::py_bindings
