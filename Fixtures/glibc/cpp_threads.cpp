// Checks C++ threads in a g++ -static program: std::thread with arguments and join, distinct
// std::this_thread::get_id, std::async (launch::async) and std::future, std::promise set from
// another thread, std::packaged_task, std::mutex with std::lock_guard under 8 threads,
// std::condition_variable (producer/consumer, wait_for timing out with cv_status::timeout),
// thread_local objects constructed per thread and destroyed at that thread's exit,
// std::call_once, std::atomic fetch_add/compare_exchange, and an exception passed through a future.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <future>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

struct Tracer {
    int id;
    explicit Tracer(int i) : id(i) { std::printf("  thread_local constructed for thread %d\n", id); }
    ~Tracer() { std::printf("  thread_local destroyed for thread %d\n", id); }
};

static int next_tracer_id;
thread_local Tracer tracer(++next_tracer_id);
thread_local int tls_counter = 10;

int main() {
    int sum = 0;
    std::thread adder([&sum](int a, int b) { sum = a + b; }, 20, 22);
    adder.join();
    std::printf("std::thread with arguments: %d, joinable after join: %d\n", sum, adder.joinable());

    std::set<std::thread::id> ids;
    std::mutex ids_lock;
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; i++)
        threads.emplace_back([&] {
            std::lock_guard<std::mutex> guard(ids_lock);
            ids.insert(std::this_thread::get_id());
        });
    for (auto &t : threads) t.join();
    threads.clear();
    std::printf("4 threads: %zu distinct ids, main's among them: %d\n", ids.size(),
                (int)ids.count(std::this_thread::get_id()));

    auto square = std::async(std::launch::async, [](int x) { return x * x; }, 12);
    std::printf("std::async: %d\n", square.get());

    std::promise<std::string> promise;
    std::future<std::string> future = promise.get_future();
    std::thread setter([&promise] { promise.set_value("from another thread"); });
    std::printf("std::promise: %s\n", future.get().c_str());
    setter.join();

    std::packaged_task<long(int)> task([](int n) {
        long f = 1;
        for (int i = 2; i <= n; i++) f *= i;
        return f;
    });
    auto factorial = task.get_future();
    std::thread runner(std::move(task), 10);
    runner.join();
    std::printf("std::packaged_task: %ld\n", factorial.get());

    auto failing = std::async(std::launch::async, []() -> int { throw std::runtime_error("thrown in a thread"); });
    try {
        failing.get();
        std::printf("no exception\n");
    } catch (const std::runtime_error &e) {
        std::printf("exception through the future: %s\n", e.what());
    }

    std::mutex counter_lock;
    long counter = 0;
    for (int i = 0; i < 8; i++)
        threads.emplace_back([&] {
            for (int j = 0; j < 10000; j++) {
                std::lock_guard<std::mutex> guard(counter_lock);
                counter++;
            }
        });
    for (auto &t : threads) t.join();
    threads.clear();
    std::printf("8 threads x 10000 locked increments: %ld\n", counter);

    std::mutex queue_lock;
    std::condition_variable changed;
    std::deque<int> queue;
    bool finished = false;
    long consumed = 0, consumed_count = 0;
    std::thread consumer([&] {
        std::unique_lock<std::mutex> lock(queue_lock);
        for (;;) {
            changed.wait(lock, [&] { return !queue.empty() || finished; });
            if (queue.empty()) break;
            consumed += queue.front();
            consumed_count++;
            queue.pop_front();
            changed.notify_all();
        }
    });
    for (int i = 1; i <= 1000; i++) {
        std::unique_lock<std::mutex> lock(queue_lock);
        changed.wait(lock, [&] { return queue.size() < 8; });
        queue.push_back(i);
        changed.notify_all();
    }
    {
        std::lock_guard<std::mutex> guard(queue_lock);
        finished = true;
    }
    changed.notify_all();
    consumer.join();
    std::printf("condition_variable queue: %ld items, sum %ld\n", consumed_count, consumed);

    std::condition_variable never;
    std::unique_lock<std::mutex> lock(queue_lock);
    auto start = std::chrono::steady_clock::now();
    std::cv_status status = std::cv_status::no_timeout;
    for (int i = 0; i < 100 && status == std::cv_status::no_timeout; i++)
        status = never.wait_for(lock, std::chrono::milliseconds(20));
    auto waited = std::chrono::steady_clock::now() - start;
    lock.unlock();
    std::printf("wait_for 20 ms: %s, waited at least 20 ms: %s\n",
                status == std::cv_status::timeout ? "timeout" : "no_timeout",
                waited >= std::chrono::milliseconds(20) ? "yes" : "no");

    std::printf("main's thread_local: id %d, counter %d\n", tracer.id, tls_counter);
    tls_counter = 99;
    for (int i = 0; i < 2; i++) {
        std::thread t([] {
            tls_counter += tracer.id;
            std::printf("  thread sees counter %d\n", tls_counter);
        });
        t.join();
    }
    std::printf("main's counter still %d\n", tls_counter);

    std::once_flag once;
    std::atomic<int> once_calls{0};
    std::atomic<long> total{0};
    for (int i = 0; i < 4; i++)
        threads.emplace_back([&] {
            std::call_once(once, [&] { once_calls++; });
            for (int j = 0; j < 25000; j++) total.fetch_add(1, std::memory_order_relaxed);
        });
    for (auto &t : threads) t.join();
    std::printf("call_once ran %d time(s); atomic total %ld\n", once_calls.load(), total.load());

    std::atomic<int> slot{5};
    int expected = 4;
    bool first = slot.compare_exchange_strong(expected, 9);
    bool second = slot.compare_exchange_strong(expected, 9);
    std::printf("compare_exchange: %d (saw %d), then %d, value %d\n", first, expected == 5 ? 5 : -1, second, slot.load());
    return 0;
}
