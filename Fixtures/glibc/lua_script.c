// Checks Lua 5.4 (Debian's liblua5.4.a linked statically) as a workload: a C host creates a
// state, opens the standard libraries, registers a C function, and runs an embedded script
// that computes and prints: a prime sieve, Fibonacci with 64-bit integers and floats,
// string.format and gsub/gmatch, table.sort with a comparator, closures, coroutines, pcall
// with error objects, integer division and float formatting, a 100,000-entry table (the
// garbage collector at work) and a value handed back to C through the stack.
// conformance-cflags: -I/usr/include/lua5.4
// conformance-ldflags: -llua5.4 -lm
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <stdio.h>

static const char script[] =
    "local function sieve(n)\n"
    "  local composite, primes = {}, {}\n"
    "  for i = 2, n do\n"
    "    if not composite[i] then\n"
    "      primes[#primes + 1] = i\n"
    "      for j = i * i, n, i do composite[j] = true end\n"
    "    end\n"
    "  end\n"
    "  return primes\n"
    "end\n"
    "local primes = sieve(100000)\n"
    "print('primes below 100000:', #primes, 'last', primes[#primes])\n"
    "local a, b = 0, 1\n"
    "for i = 1, 90 do a, b = b, a + b end\n"
    "print('fib(90) =', a, math.type(a), 'as float', string.format('%.6e', a + 0.0))\n"
    "print('integer overflow wraps:', math.maxinteger + 1 == math.mininteger)\n"
    "print('7 // 2 =', 7 // 2, '-7 // 2 =', -7 // 2, '7 % -3 =', 7 % -3, '2^10 =', 2^10, '1/0 =', 1/0)\n"
    "print(string.format('pi %.10f  e %g  %5.1f%%  %x  %q', math.pi, math.exp(1), 99.5, 48879, 'a\\nb'))\n"
    "local text = 'the quick brown fox jumps over the lazy dog'\n"
    "local words = {}\n"
    "for w in text:gmatch('%a+') do words[#words + 1] = w end\n"
    "table.sort(words, function(x, y) if #x ~= #y then return #x > #y end return x < y end)\n"
    "print('sorted words:', table.concat(words, ' '))\n"
    "print('gsub:', (text:gsub('(%a+)', function(w) return w:sub(1,1):upper() .. w:sub(2) end)))\n"
    "local function counter()\n"
    "  local n = 0\n"
    "  return function(step) n = n + (step or 1); return n end\n"
    "end\n"
    "local c1, c2 = counter(), counter()\n"
    "c1(); c1(5); c2(10)\n"
    "print('closures:', c1(), c2())\n"
    "local gen = coroutine.wrap(function()\n"
    "  for i = 1, 5 do coroutine.yield(i * i) end\n"
    "  return 'done'\n"
    "end)\n"
    "local squares = {}\n"
    "for i = 1, 6 do squares[#squares + 1] = tostring(gen()) end\n"
    "print('coroutine:', table.concat(squares, ','))\n"
    "local ok, err = pcall(function() error({code = 42, msg = 'custom'}) end)\n"
    "print('pcall:', ok, err.code, err.msg)\n"
    "ok, err = pcall(function() local t = nil; return t.field end)\n"
    "print('pcall runtime error:', ok, (err:gsub('^.-:%d+: ', '')))\n"
    "local big = {}\n"
    "for i = 1, 100000 do big[i] = {i, tostring(i)} end\n"
    "local sum = 0\n"
    "for _, v in ipairs(big) do sum = sum + v[1] + #v[2] end\n"
    "big = nil\n"
    "collectgarbage()\n"
    "print('big table sum:', sum, 'gc ran:', collectgarbage('count') < 10000)\n"
    "print('from C:', host_add(40, 2), host_add(1.5, 2.25))\n"
    "return #primes * 2\n";

static int host_add(lua_State *L) {
    lua_Number result = luaL_checknumber(L, 1) + luaL_checknumber(L, 2);
    if (lua_isinteger(L, 1) && lua_isinteger(L, 2)) lua_pushinteger(L, lua_tointeger(L, 1) + lua_tointeger(L, 2));
    else lua_pushnumber(L, result);
    return 1;
}

int main(void) {
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    lua_register(L, "host_add", host_add);
    printf("%s\n", LUA_RELEASE);
    if (luaL_loadbuffer(L, script, sizeof script - 1, "=script") != LUA_OK || lua_pcall(L, 0, 1, 0) != LUA_OK) {
        printf("lua error: %s\n", lua_tostring(L, -1));
        lua_close(L);
        return 1;
    }
    printf("script returned %lld\n", (long long)lua_tointeger(L, -1));
    lua_close(L);
    return 0;
}
