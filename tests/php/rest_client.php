<?php
/*
 * A simpleSMS REST client written the way PHP code for the real provider would be (plain
 * streams and json_decode, no smsbridge code): proves the REST face answers as the
 * provider's documentation reads.
 *
 *     php tests/php/rest_client.php BASE_URL USER PASSWORD DOMAIN
 *
 * BASE_URL ends in /rest/SMSapi/.  Prints a JSON object: each call's decoded reply, and
 * "idType", the PHP type of sendSMS's response (the documentation: "we return the
 * internal ID of the SMS in the response value, which can be used later to retrieve
 * statuses").
 */

declare(strict_types=1);

[$script, $base, $user, $password, $domain] = $argv + [null, null, null, null, null];
if ($domain === null) {
    fwrite(STDERR, "usage: php rest_client.php BASE_URL USER PASSWORD DOMAIN\n");
    exit(2);
}

function call(string $method, string $url, array $params = [], ?string $token = null): array
{
    $headers = ["Accept: application/json"];
    if ($token !== null) {
        $headers[] = "Authorization: Bearer {$token}";
    }
    $options = ['method' => $method, 'ignore_errors' => true, 'timeout' => 10];
    if ($method === 'POST') {
        $headers[] = 'Content-Type: application/x-www-form-urlencoded';
        $options['content'] = http_build_query($params);
    } elseif ($params) {
        $url .= '?' . http_build_query($params);
    }
    $options['header'] = implode("\r\n", $headers);
    $body = file_get_contents($url, false, stream_context_create(['http' => $options]));
    $status = (int) explode(' ', $http_response_header[0] ?? 'HTTP/1.1 0')[1];
    return ['status' => $status, 'reply' => json_decode((string) $body, true)];
}

$out = [];
$out['connect'] = call('POST', $base . 'connect', ['username' => $user, 'password' => $password,
                                                    'domain' => $domain]);
$token = $out['connect']['reply']['access_token'] ?? null;
$out['sendSMS'] = call('POST', $base . 'sendSMS', ['country_code' => '36', 'area_code' => '30',
                                                    'number' => '1234567', 'message' => "Szia PHP REST! \u{0151}"],
                       $token);
$id = $out['sendSMS']['reply']['response'] ?? null;   // the id itself
$out['idType'] = get_debug_type($id);
$out['getStatus'] = call('POST', $base . 'getStatus', ['sms_id' => $id], $token);
$out['getStatusByGet'] = call('GET', $base . 'getStatus', ['sms_id' => $id], $token);
$out['getHistoryByGet'] = call('GET', $base . 'getHistory', ['sms_id' => $id], $token);
$out['getCreditNumberByGet'] = call('GET', $base . 'getCreditNumber', [], $token);
$out['getMonthlyStatByGet'] = call('GET', $base . 'getMonthlyStat', [], $token);
$out['sendSMSByGet'] = call('GET', $base . 'sendSMS', ['country_code' => '36', 'area_code' => '30',
                                                       'number' => '1234567', 'message' => 'no'], $token);
$out['wrongLogin'] = call('POST', $base . 'connect', ['username' => $user, 'password' => 'wrong',
                                                       'domain' => $domain]);
echo json_encode($out, JSON_UNESCAPED_UNICODE), "\n";
