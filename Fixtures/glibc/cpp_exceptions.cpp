// Checks C++ exceptions in a g++ -static program, which unwind through .eh_frame (found via
// the program headers): a custom exception thrown five frames down and caught in main with
// destructors of every frame running in order, rethrow with `throw;`, catch by base class,
// std::out_of_range from vector::at, std::bad_alloc from a huge new (the failed mmap),
// exceptions through a std::function and a function pointer, nested try blocks,
// std::exception_ptr carried out of a catch, and an uncaught exception at the end
// (std::terminate: the "terminate called" message on stderr, then SIGABRT, status 134).
// conformance-exit: 134
#include <cstdio>
#include <exception>
#include <functional>
#include <new>
#include <stdexcept>
#include <string>
#include <vector>

struct Guard {
    int level;
    explicit Guard(int l) : level(l) {}
    ~Guard() { std::printf("  unwind: ~Guard(%d)\n", level); }
};

struct AppError : std::runtime_error {
    int code;
    AppError(const std::string &what, int c) : std::runtime_error(what), code(c) {}
};

static int depth_reached = 0;

static void dive(int level) {
    Guard guard(level);
    depth_reached = level;
    if (level == 5) throw AppError("deep failure", 42);
    dive(level + 1);
    std::printf("not reached %d\n", level);
}

static void rethrower() {
    try {
        dive(1);
    } catch (const AppError &e) {
        std::printf("  rethrower saw \"%s\", rethrowing\n", e.what());
        throw;
    }
}

static int thrower_via_pointer(int x) {
    if (x > 2) throw std::invalid_argument("x too big: " + std::to_string(x));
    return x * 10;
}

int main() {
    try {
        rethrower();
    } catch (const AppError &e) {
        std::printf("caught AppError \"%s\" code %d at depth %d\n", e.what(), e.code, depth_reached);
    }

    try {
        std::vector<int> v(3);
        v.at(7) = 1;
    } catch (const std::exception &e) {
        std::printf("caught by base class: out_of_range? %s\n",
                    dynamic_cast<const std::out_of_range *>(&e) ? "yes" : "no");
    }

    try {
        size_t huge = static_cast<size_t>(1) << 60;
        char *p = new char[huge];
        std::printf("allocated %p?\n", static_cast<void *>(p));
    } catch (const std::bad_alloc &e) {
        std::printf("caught bad_alloc: %s\n", e.what());
    }

    int (*fp)(int) = thrower_via_pointer;
    std::function<int(int)> fn = [fp](int x) { Guard g(100 + x); return fp(x) + 1; };
    for (int x = 1; x <= 3; x++) {
        try {
            std::printf("fn(%d) = %d\n", x, fn(x));
        } catch (const std::invalid_argument &e) {
            std::printf("caught invalid_argument: %s\n", e.what());
        }
    }

    std::exception_ptr saved;
    try {
        try {
            throw 7;
        } catch (int n) {
            std::printf("inner caught int %d, throwing a string\n", n);
            throw std::string("from inner catch");
        }
    } catch (const std::string &s) {
        std::printf("outer caught std::string \"%s\"\n", s.c_str());
        saved = std::current_exception();
    }
    try {
        std::rethrow_exception(saved);
    } catch (const std::string &s) {
        std::printf("rethrown exception_ptr: \"%s\"\n", s.c_str());
    }

    try {
        throw 3.5;
    } catch (...) {
        std::printf("catch (...) got a double\n");
    }

    std::printf("throwing uncaught\n");
    std::fflush(stdout);
    throw AppError("nobody catches this", 1);
}
