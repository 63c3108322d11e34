"""The Lua scripts of the Redis state store (``_redis.py``): each runs atomically on the server,
in the one slot all of the store's keys share (their hash tag).

``_NOW`` is the preamble every script starts with: the server's ``TIME`` in ms, or the clock the
store was given (tests in virtual time). Each script's KEYS and ARGV are listed above it.
"""

# Returns the server's (or the given) time in ms: ARGV[1] is '' for the server clock.
_NOW = """
local now = tonumber(ARGV[1])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
"""
# KEYS[1] lease; ARGV: now, holder, ttl ms, mode ('acquire' | 'renew'). Returns 1 when held.
LEASE = (
    "if redis.replicate_commands then redis.replicate_commands() end\n"
    + _NOW
    + """
local holder = redis.call('HGET', KEYS[1], 'h')
local expires = tonumber(redis.call('HGET', KEYS[1], 'e') or '0')
local mine = holder == ARGV[2] and expires > now
local free = (not holder) or expires <= now
if ARGV[4] == 'renew' and not mine then return 0 end
if ARGV[4] == 'acquire' and not (mine or free) then return 0 end
redis.call('HSET', KEYS[1], 'h', ARGV[2], 'e', tostring(now + tonumber(ARGV[3])))
if ARGV[1] == '' then redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[3]) * 2) end
return 1
"""
)
# The fenced write of a record with its indexes (create and save alike).
# KEYS: 1 lease, 2 record, 3 events, 4 all ids, 5 the cluster's ids, 6 unfinished ids,
#       7 the cluster's unfinished ids, 8 expiring ([id, lease key] by expiry time)
# ARGV: 1 now, 2 holder, 3 lease ttl ms, 4 record JSON, 5 created (score), 6 id,
#       7 '1' when finished, 8 retention ms, 9 the expiring member
# Returns 1 when written, 0 when the lease is not the holder's.
PUT = (
    "if redis.replicate_commands then redis.replicate_commands() end\n"
    + _NOW
    + """
local holder = redis.call('HGET', KEYS[1], 'h')
local expires = tonumber(redis.call('HGET', KEYS[1], 'e') or '0')
if holder ~= ARGV[2] or expires <= now then return 0 end
redis.call('HSET', KEYS[1], 'e', tostring(now + tonumber(ARGV[3])))
redis.call('ZADD', KEYS[4], ARGV[5], ARGV[6])
redis.call('ZADD', KEYS[5], ARGV[5], ARGV[6])
if ARGV[7] == '1' then
  local retention = tonumber(ARGV[8])
  redis.call('SET', KEYS[2], ARGV[4], 'PX', retention)
  redis.call('PEXPIRE', KEYS[3], retention)
  redis.call('ZREM', KEYS[6], ARGV[6])
  redis.call('ZREM', KEYS[7], ARGV[6])
  redis.call('ZADD', KEYS[8], now + retention, ARGV[9])
else
  redis.call('SET', KEYS[2], ARGV[4])
  redis.call('PERSIST', KEYS[3])
  redis.call('ZADD', KEYS[6], ARGV[5], ARGV[6])
  redis.call('ZADD', KEYS[7], ARGV[5], ARGV[6])
  redis.call('ZREM', KEYS[8], ARGV[9])
end
return 1
"""
)
# A fenced event with the next sequence number of its deployment.
# KEYS: 1 lease, 2 record, 3 events; ARGV: 1 now, 2 holder, 3 and 4 the event's JSON before and
# after its seq. Returns the seq, 0 when the lease is not the holder's, -1 when no such record.
APPEND = (
    "if redis.replicate_commands then redis.replicate_commands() end\n"
    + _NOW
    + """
local holder = redis.call('HGET', KEYS[1], 'h')
local expires = tonumber(redis.call('HGET', KEYS[1], 'e') or '0')
if holder ~= ARGV[2] or expires <= now then return 0 end
if redis.call('EXISTS', KEYS[2]) == 0 then return -1 end
local seq = redis.call('LLEN', KEYS[3]) + 1
redis.call('RPUSH', KEYS[3], ARGV[3] .. seq .. ARGV[4])
local ttl = redis.call('PTTL', KEYS[2])
if ttl > 0 then redis.call('PEXPIRE', KEYS[3], ttl) end
return seq
"""
)
# Members of KEYS[1] (expiring) due at now; ARGV: now, how many at most.
DUE = (
    _NOW
    + """
return redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[2]))
"""
)
# Forget expired records: KEYS 1 all ids, 2 expiring, then per member: the cluster's ids, the
# record, its events; ARGV: now, then per member: the member, the id. Each is checked still due
# (a rollback of a finished deployment makes it unfinished again, and it leaves 'expiring').
FORGET = (
    "if redis.replicate_commands then redis.replicate_commands() end\n"
    + _NOW
    + """
local forgotten = 0
for i = 2, #ARGV, 2 do
  local due = redis.call('ZSCORE', KEYS[2], ARGV[i])
  if due and tonumber(due) <= now then
    local k = 3 + (i - 2) / 2 * 3
    local id = ARGV[i + 1]
    redis.call('ZREM', KEYS[1], id)
    redis.call('ZREM', KEYS[k], id)
    redis.call('DEL', KEYS[k + 1], KEYS[k + 2])
    redis.call('ZREM', KEYS[2], ARGV[i])
    forgotten = forgotten + 1
  end
end
return forgotten
"""
)
