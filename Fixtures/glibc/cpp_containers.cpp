// Checks the C++ standard library in a g++ -static program: std::vector growth and
// algorithms (sort, accumulate, unique, binary_search), std::map and std::unordered_map
// word counts printed in key order, std::string operations (find, substr, replace, +=,
// to_string, stoi), std::unique_ptr/std::shared_ptr lifetimes, and global constructors
// and destructors (run before main and after it returns).
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <map>
#include <memory>
#include <numeric>
#include <sstream>
#include <string>
#include <unordered_map>
#include <vector>

struct Noisy {
    std::string name;
    explicit Noisy(std::string n) : name(std::move(n)) { std::printf("construct %s\n", name.c_str()); }
    ~Noisy() { std::printf("destroy %s\n", name.c_str()); }
};

static Noisy global("global");

int main() {
    std::vector<long> values;
    size_t reallocations = 0;
    const long *data = nullptr;
    for (long i = 0; i < 100000; i++) {
        values.push_back((i * 7919) % 100003);
        if (values.data() != data) { reallocations++; data = values.data(); }
    }
    std::cout << "vector: " << values.size() << " elements, reallocated " << (reallocations > 10 ? "more than 10" : "few")
              << " times, sum " << std::accumulate(values.begin(), values.end(), 0L) << '\n';
    std::sort(values.begin(), values.end());
    std::cout << "sorted: front " << values.front() << " back " << values.back() << " contains 5000: "
              << std::binary_search(values.begin(), values.end(), 5000L) << '\n';
    std::vector<int> dups{5, 1, 5, 3, 1, 3, 3, 9};
    std::sort(dups.begin(), dups.end());
    dups.erase(std::unique(dups.begin(), dups.end()), dups.end());
    std::cout << "unique:";
    for (int d : dups) std::cout << ' ' << d;
    std::cout << '\n';

    std::string text = "the cat and the hat and the bat sat on the mat";
    std::map<std::string, int> ordered;
    std::unordered_map<std::string, int> hashed;
    std::istringstream words(text);
    for (std::string w; words >> w;) { ordered[w]++; hashed[w]++; }
    std::cout << "map:";
    for (const auto &[word, count] : ordered) std::cout << ' ' << word << '=' << count;
    std::cout << "\nunordered_map agrees: " << (hashed.size() == ordered.size()
        && std::all_of(ordered.begin(), ordered.end(), [&](const auto &p) { return hashed.at(p.first) == p.second; }))
              << '\n';

    std::string s = "Hello, World";
    s += "! " + std::to_string(2024);
    auto comma = s.find(',');
    std::string first = s.substr(0, comma);
    s.replace(s.find("World"), 5, "Swift");
    std::reverse(first.begin(), first.end());
    std::cout << "string: \"" << s << "\" length " << s.size() << ", reversed first word \"" << first
              << "\", stoi " << std::stoi("  -123xyz") << '\n';
    std::string big(1 << 20, 'z');
    big[12345] = 'a';
    std::cout << "big string: " << big.size() << " bytes, 'a' at " << big.find('a') << '\n';

    {
        auto unique = std::make_unique<Noisy>("unique");
        auto shared = std::make_shared<Noisy>("shared");
        auto copy = shared;
        std::cout << "shared use_count " << shared.use_count() << std::endl;
    }
    std::cout << "main returns" << std::endl;
    return 0;
}
