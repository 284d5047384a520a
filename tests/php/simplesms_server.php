<?php
/*
 * A stand-in for simpleSMS's SOAP API, on PHP's own SoapServer, for tests.
 *
 *     SIMPLESMS_STATE_DIR=/tmp/x php -S 127.0.0.1:8080 tests/php/simplesms_server.php
 *
 * The real provider is very likely a PHP SoapServer (SPEC.md section 5), so this
 * is the closest thing to it we can run: what goes over the wire (Apache Map for
 * associative arrays, SOAP-ENC:Array for lists, xsi:nil for null, PHPSESSID
 * session cookie) is PHP's, not ours.
 *
 * Paths (any path that is not listed answers the SOAP endpoint on POST):
 *   GET  /sms.wsdl  or  GET /soap?wsdl     the WSDL; soap:address points back here,
 *                                          carrying the same query string
 *   POST /soap                              the SOAP endpoint
 *   GET  /?reset_sessions                   forgets every PHP session (every client
 *                                          is logged out; their cookies stay stale)
 *   GET  /?calls                            JSON: how many calls of each operation the
 *                                          server has handled, and "wsdl": how many times
 *                                          it served the WSDL (tests count them)
 *
 * Query switches, on the WSDL URL (they travel on to the endpoint through soap:address):
 *   returns=anytype (default)   every operation returns xsd:anyType: zeep hands raw lxml back
 *   returns=array               the project's sms.wsdl as is: returns are soapenc:Array
 *   keys=snake (default)        error replies carry error_code / error_message
 *   keys=camel                  ... errorCode / errorMessage
 *   keys=short                  ... code / message
 *   send=id (default)           sendSMS's response is the SMS id itself (the documentation:
 *                               "we return the internal ID of the SMS in the response value")
 *   send=object                 ... an array ['sms_id' => N] (a reading clients still meet)
 *   lost=code (default)         "not logged in" is error 102
 *   lost=text                   ... error code 'NOT_LOGGED_IN' (a textual code)
 *   lost=message                ... an unknown code (1234) with the message "Not logged in"
 *   lost=body401                ... error code 401 with HTTP 200
 *   lost=http401 / lost=http403 ... error 102 with HTTP status 401 / 403
 *
 * Environment:
 *   SIMPLESMS_STATE_DIR  where sessions and the message store live
 *                        (default: <tmp>/smsbridge-simplesms-<port>)
 *   SIMPLESMS_NOW        fixed clock, "YYYY-MM-DD HH:MM:SS" (default: the real time)
 *   SIMPLESMS_CREDIT     starting credit (default 100); every sendSMS costs 1
 *
 * Credentials: userName "user", userPassword "secret", domainName "example.hu".
 *
 * Replies: ['success' => true, 'error' => false, 'response' => ...] or
 * ['success' => false, 'error' => true, 'error_code' => N, 'error_message' => '...'].
 * Error codes:
 *   101  wrong username, password or domain          (connect)
 *   102  not logged in, or the session expired        (every other call)
 *   201  invalid phone number                         (sendSMS)
 *   202  empty message                                (sendSMS)
 *   301  not enough credit                            (sendSMS)
 *   404  no SMS with this id                          (getStatus, getHistory)
 * A message text of exactly "__soapfault__" makes sendSMS throw a SoapFault.
 * A message text "__sleep__N" (N seconds, may be fractional) is accepted and stored,
 * then the reply is held back N seconds: a client timeout then means "delivery unknown".
 *
 * Delivery: a message to a number ending in 9 ends "Undelivered" (code 4, with
 * a comment); any other ends "Delivered" (code 3). Both pass Queued (1), Sent (2).
 */

declare(strict_types=1);

const SMS_USER = 'user';
const SMS_PASSWORD = 'secret';
const SMS_DOMAIN = 'example.hu';

const ERR_LOGIN = 101;
const ERR_SESSION = 102;
const ERR_NUMBER = 201;
const ERR_EMPTY = 202;
const ERR_CREDIT = 301;
const ERR_NOT_FOUND = 404;

$stateDir = getenv('SIMPLESMS_STATE_DIR')
    ?: sys_get_temp_dir() . '/smsbridge-simplesms-' . ($_SERVER['SERVER_PORT'] ?? '0');
$sessionDir = $stateDir . '/sessions';
if (!is_dir($sessionDir)) {
    mkdir($sessionDir, 0700, true);
}

$path = parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH) ?: '/';
$method = $_SERVER['REQUEST_METHOD'] ?? 'GET';
$variant = [
    'returns' => ($_GET['returns'] ?? 'anytype') === 'array' ? 'array' : 'anytype',
    'keys' => in_array($_GET['keys'] ?? '', ['camel', 'short'], true) ? $_GET['keys'] : 'snake',
    'send' => ($_GET['send'] ?? 'id') === 'object' ? 'object' : 'id',
    'lost' => in_array($_GET['lost'] ?? '', ['text', 'message', 'body401', 'http401', 'http403'], true)
        ? $_GET['lost'] : 'code',
];

if (isset($_GET['reset_sessions'])) {
    foreach (glob($sessionDir . '/sess_*') ?: [] as $file) {
        unlink($file);
    }
    header('Content-Type: text/plain');
    echo "sessions reset\n";
    return true;
}

if (isset($_GET['calls'])) {
    header('Content-Type: application/json');
    $raw = @file_get_contents($stateDir . '/calls.json');
    echo $raw ?: '{}';
    return true;
}

if ($method === 'GET' && ($path === '/sms.wsdl' || isset($_GET['wsdl']))) {
    count_call($stateDir . '/calls.json', 'wsdl');
    header('Content-Type: text/xml; charset=utf-8');
    echo wsdl_text($variant);
    return true;
}

if ($method !== 'POST') {
    http_response_code(404);
    header('Content-Type: text/plain');
    echo "POST SOAP requests to /soap; the WSDL is at /sms.wsdl\n";
    return true;
}

// The SOAP endpoint. The session is started for every call, as a PHP service
// using $_SESSION would, so the PHPSESSID cookie is set on the first reply.
session_save_path($sessionDir);
session_name('PHPSESSID');
session_start();

$wsdlFile = $stateDir . '/sms-' . implode('-', $variant) . '.wsdl';
file_put_contents($wsdlFile, wsdl_text($variant), LOCK_EX);
$server = new SoapServer($wsdlFile, ['cache_wsdl' => WSDL_CACHE_NONE, 'encoding' => 'UTF-8']);
$server->setObject(new CountingProxy(new SMSapi($stateDir, $variant['keys'], $variant['send'], $variant['lost']),
                                     $stateDir . '/calls.json'));
$server->handle();
return true;


/** The project's WSDL (plugins/simplesms/sms.wsdl) with soap:address pointing here. */
function wsdl_text(array $variant): string
{
    $wsdl = file_get_contents(__DIR__ . '/../../plugins/simplesms/sms.wsdl');
    if ($variant['returns'] === 'anytype') {
        $wsdl = str_replace('type="soapenc:Array"', 'type="xsd:anyType"', $wsdl);
    }
    $host = $_SERVER['HTTP_HOST'] ?? ('127.0.0.1:' . ($_SERVER['SERVER_PORT'] ?? '80'));
    $query = http_build_query($variant);
    $address = htmlspecialchars("http://{$host}/soap?{$query}", ENT_XML1 | ENT_QUOTES);
    return str_replace('https://api.simplesms.hu/soap', $address, $wsdl);
}


/** Counts every call by operation name (GET /?calls), then hands it to the service. */
class CountingProxy
{
    public function __construct(private object $target, private string $file)
    {
    }

    public function __call(string $name, array $arguments)
    {
        count_call($this->file, $name);
        return $this->target->$name(...$arguments);
    }
}


function count_call(string $file, string $name): void
{
    $handle = fopen($file, 'c+');
    flock($handle, LOCK_EX);
    $raw = stream_get_contents($handle);
    $calls = $raw ? json_decode($raw, true) : [];
    $calls[$name] = ($calls[$name] ?? 0) + 1;
    ftruncate($handle, 0);
    rewind($handle);
    fwrite($handle, json_encode($calls));
    flock($handle, LOCK_UN);
    fclose($handle);
}


class SMSapi
{
    private string $storeFile;
    private string $keys;
    private string $send;
    private string $lost;

    public function __construct(string $stateDir, string $keys, string $send, string $lost)
    {
        $this->storeFile = $stateDir . '/store.json';
        $this->keys = $keys;
        $this->send = $send;
        $this->lost = $lost;
    }

    public function connect($userName, $userPassword, $domainName): array
    {
        if ($userName !== SMS_USER || $userPassword !== SMS_PASSWORD || $domainName !== SMS_DOMAIN) {
            unset($_SESSION['login']);
            return $this->fail(ERR_LOGIN, 'Invalid username, password or domain');
        }
        $_SESSION['login'] = ['user' => $userName, 'domain' => $domainName, 'since' => now()];
        return $this->ok(['user' => $userName, 'domain' => $domainName]);
    }

    public function sendSMS($strCountryCode, $strAreaCode, $strNumber, $strMessage): array
    {
        if (!$this->loggedIn()) {
            return $this->sessionError();
        }
        $country = (string) $strCountryCode;
        $area = (string) $strAreaCode;
        $number = (string) $strNumber;
        $text = (string) $strMessage;
        if ($text === '__soapfault__') {
            throw new SoapFault('Server', 'Internal server error (requested by the test)');
        }
        if (!preg_match('/^[1-9][0-9]{0,2}$/', $country) || !preg_match('/^[0-9]{0,4}$/', $area)
            || !preg_match('/^[0-9]{4,12}$/', $number)) {
            return $this->fail(ERR_NUMBER, 'Invalid phone number');
        }
        if (trim($text) === '') {
            return $this->fail(ERR_EMPTY, 'The message is empty');
        }
        $reply = $this->withStore(function (array &$store) use ($country, $area, $number, $text) {
            if ($store['credit'] < 1) {
                return $this->fail(ERR_CREDIT, 'Not enough credit');
            }
            $store['credit'] -= 1;
            $id = $store['next_id']++;
            $at = now();
            $month = substr($at, 0, 7);
            $kind = $country === '36' ? 'domestic' : 'foreign';
            $store['stats'][$month] = $store['stats'][$month] ?? ['domestic' => 0, 'foreign' => 0];
            $store['stats'][$month][$kind] += 1;
            $history = [
                ['code' => 1, 'message' => 'Queued', 'date' => $at],
                ['code' => 2, 'message' => 'Sent', 'date' => $at],
            ];
            if (substr($number, -1) === '9') {
                $history[] = ['code' => 4, 'message' => 'Undelivered', 'date' => $at,
                              'comment' => 'Handset unreachable'];
            } else {
                $history[] = ['code' => 3, 'message' => 'Delivered', 'date' => $at];
            }
            $store['messages'][(string) $id] = [
                'country_code' => $country, 'area_code' => $area, 'number' => $number,
                'message' => $text, 'created' => $at, 'history' => $history,
            ];
            return $this->ok($this->send === 'object' ? ['sms_id' => $id] : $id);
        });
        if (preg_match('/^__sleep__([0-9]+(?:\.[0-9]+)?)$/', $text, $m)) {
            usleep((int) round((float) $m[1] * 1e6));
        }
        return $reply;
    }

    public function getCreditNumber(): array
    {
        if (!$this->loggedIn()) {
            return $this->sessionError();
        }
        return $this->withStore(fn (array &$store) => $this->ok($store['credit']));
    }

    public function getMonthlyStat(): array
    {
        if (!$this->loggedIn()) {
            return $this->sessionError();
        }
        return $this->withStore(function (array &$store) {
            $stats = $store['stats'];
            ksort($stats);
            return $this->ok($stats);
        });
    }

    public function getStatus($numSMSID): array
    {
        return $this->withMessage($numSMSID, function (array $sms) use ($numSMSID) {
            $last = end($sms['history']);
            return $this->ok([
                'sms_id' => (int) $numSMSID,
                'country_code' => $sms['country_code'],
                'area_code' => $sms['area_code'],
                'number' => $sms['number'],
                'message' => $sms['message'],
                'sender' => null,
                'created' => $sms['created'],
                'status' => $last['message'],
                'status_code' => $last['code'],
                'status_date' => $last['date'],
            ]);
        });
    }

    public function getHistory($numSMSID): array
    {
        return $this->withMessage($numSMSID, fn (array $sms) => $this->ok($sms['history']));
    }

    private function loggedIn(): bool
    {
        return isset($_SESSION['login']);
    }

    private function sessionError(): array
    {
        switch ($this->lost) {
            case 'text':
                return $this->fail('NOT_LOGGED_IN', 'Please log in');
            case 'message':
                return $this->fail(1234, 'Not logged in');
            case 'body401':
                return $this->fail(401, 'Unauthorized');
            case 'http401':
            case 'http403':
                http_response_code($this->lost === 'http401' ? 401 : 403);
        }
        return $this->fail(ERR_SESSION, 'Not logged in or the session has expired');
    }

    private function ok($response): array
    {
        return ['success' => true, 'error' => false, 'response' => $response];
    }

    private function fail(int|string $code, string $message): array
    {
        [$codeKey, $messageKey] = match ($this->keys) {
            'camel' => ['errorCode', 'errorMessage'],
            'short' => ['code', 'message'],
            default => ['error_code', 'error_message'],
        };
        return ['success' => false, 'error' => true, $codeKey => $code, $messageKey => $message];
    }

    /** $fn's reply for the stored message $numSMSID; a session error or "not found" without it. */
    private function withMessage($numSMSID, callable $fn): array
    {
        if (!$this->loggedIn()) {
            return $this->sessionError();
        }
        return $this->withStore(function (array &$store) use ($numSMSID, $fn) {
            $sms = $store['messages'][(string) $numSMSID] ?? null;
            return $sms === null ? $this->fail(ERR_NOT_FOUND, 'No SMS with this id') : $fn($sms);
        });
    }

    /** Runs $fn on the JSON store under an exclusive lock and saves what it changed. */
    private function withStore(callable $fn)
    {
        $handle = fopen($this->storeFile, 'c+');
        flock($handle, LOCK_EX);
        $raw = stream_get_contents($handle);
        $store = $raw ? json_decode($raw, true) : null;
        if (!is_array($store)) {
            $credit = getenv('SIMPLESMS_CREDIT');
            $store = [
                'credit' => $credit === false ? 100 : (int) $credit,
                'next_id' => 1001,
                // Earlier months, as a real account would have them.
                'stats' => ['2024-01' => ['domestic' => 12, 'foreign' => 1],
                            '2024-02' => ['domestic' => 7, 'foreign' => 0]],
                'messages' => [],
            ];
        }
        $result = $fn($store);
        ftruncate($handle, 0);
        rewind($handle);
        fwrite($handle, json_encode($store, JSON_PRETTY_PRINT | JSON_UNESCAPED_UNICODE));
        flock($handle, LOCK_UN);
        fclose($handle);
        return $result;
    }
}

function now(): string
{
    return getenv('SIMPLESMS_NOW') ?: date('Y-m-d H:i:s');
}
