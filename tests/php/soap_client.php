<?php
/*
 * PHP's own SoapClient against a simpleSMS SOAP server (the gateway's SOAP face in the
 * tests): proves that what the face sends is what a PHP client reads.
 *
 *     php tests/php/soap_client.php WSDL_URL USER PASSWORD DOMAIN
 *
 * Calls every operation in one session and prints a JSON object:
 * {"connect": ..., "sendSMS": ..., "getStatus": ..., "getHistory": ...,
 *  "getCreditNumber": ..., "getMonthlyStat": ..., "wrongLogin": ..., "fault": ...}
 * Each value is what SoapClient returned (PHP arrays), or for "fault" the caught
 * SoapFault's code and message.
 */

declare(strict_types=1);

[$script, $wsdl, $user, $password, $domain] = $argv + [null, null, null, null, null];
if ($domain === null) {
    fwrite(STDERR, "usage: php soap_client.php WSDL_URL USER PASSWORD DOMAIN\n");
    exit(2);
}

$client = new SoapClient($wsdl, ['cache_wsdl' => WSDL_CACHE_NONE, 'exceptions' => true, 'trace' => true,
                                 'connection_timeout' => 10]);
$out = [];
$out['connect'] = $client->connect($user, $password, $domain);
$out['sendSMS'] = $client->sendSMS('36', '30', '1234567', "Szia PHP! \u{0151}");
// The documentation: "we return the internal ID of the SMS in the response value,
// which can be used later to retrieve statuses": response is the id, nothing else.
$id = $out['sendSMS']['response'] ?? null;
$out['idType'] = get_debug_type($id);
$out['getStatus'] = $client->getStatus($id);
$out['getHistory'] = $client->getHistory($id);
$out['getCreditNumber'] = $client->getCreditNumber();
$out['getMonthlyStat'] = $client->getMonthlyStat();
$out['unknownId'] = $client->getStatus(42);

$stranger = new SoapClient($wsdl, ['cache_wsdl' => WSDL_CACHE_NONE, 'exceptions' => true]);
$out['wrongLogin'] = $stranger->connect($user, 'wrong', $domain);
$out['notLoggedIn'] = $stranger->getCreditNumber();

try {
    // A call the face does not know, sent raw: the face must answer with a SOAP Fault.
    $raw = $client->__doRequest(
        '<?xml version="1.0"?><SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/">'
        . '<SOAP-ENV:Body><ns1:dropTables xmlns:ns1="urn:SMSapi"/></SOAP-ENV:Body></SOAP-ENV:Envelope>',
        preg_replace('/sms\.wsdl.*$/', 'soap', $wsdl), 'urn:SMSapi#dropTables', SOAP_1_1);
    $out['fault'] = ['raw' => $raw];
} catch (SoapFault $fault) {
    $out['fault'] = ['code' => $fault->faultcode, 'message' => $fault->getMessage()];
}
echo json_encode($out, JSON_UNESCAPED_UNICODE), "\n";
