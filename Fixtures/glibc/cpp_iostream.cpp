// Checks C++ iostreams in a g++ -static program: std::cout and std::cerr (unbuffered,
// interleaving with cout through std::flush), manipulators (setw, setfill, left/right,
// hex/oct/showbase, fixed/scientific/setprecision, boolalpha), std::ostringstream and
// std::istringstream parsing, and reading std::cin word by word and with std::getline.
// conformance-stdin: 3 apples\n4 pears\nlast line here\n
#include <iomanip>
#include <iostream>
#include <sstream>
#include <string>

int main() {
    std::cout << "hello from iostream" << std::endl;
    std::cout << "[" << std::setw(8) << 42 << "] [" << std::left << std::setw(8) << 42 << "] ["
              << std::right << std::setfill('*') << std::setw(8) << -42 << "]" << std::setfill(' ') << '\n';
    std::cout << std::hex << std::showbase << 255 << ' ' << std::oct << 255 << ' ' << std::dec << 255
              << std::noshowbase << '\n';
    std::cout << std::fixed << std::setprecision(3) << 3.14159265 << ' ' << std::scientific << 6.02214076e23
              << ' ' << std::defaultfloat << std::setprecision(6) << 1.0 / 3 << '\n';
    std::cout << std::boolalpha << true << ' ' << false << std::noboolalpha << ' ' << true << '\n';
    std::cout << "to stderr next" << std::flush;
    std::cerr << "\n[stderr line]\n";

    std::ostringstream out;
    out << "pi~" << std::setprecision(4) << 3.14159 << ", n=" << 1234567 << ", c=" << 'x';
    std::cout << "ostringstream: \"" << out.str() << "\" (" << out.str().size() << " chars)\n";

    std::istringstream in("10 20 thirty 40");
    int a = 0, b = 0, c = 0;
    in >> a >> b >> c;
    std::cout << "istringstream: a=" << a << " b=" << b << " fail=" << in.fail() << '\n';

    int total = 0, count;
    std::string word;
    for (int i = 0; i < 2 && (std::cin >> count >> word); i++) {
        std::cout << "cin: " << count << " x " << word << '\n';
        total += count;
    }
    std::string rest;
    std::getline(std::cin >> std::ws, rest);
    std::cout << "getline: \"" << rest << "\", total " << total << '\n';
    std::cout << "eof after one more read: " << (std::getline(std::cin, rest) ? "no" : "yes") << std::endl;
    return 0;
}
