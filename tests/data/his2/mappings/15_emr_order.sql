-- 处方：只发送含所需药品的处方（ypdm 只用于筛选）；作废 zfbz = '1' 即删除。
-- table: emr_order
-- key: id
-- watermark: xgsj
-- delete_flag: zfbz
-- drugs: ypdm
-- codes: dept_code=department
SELECT c.cfxh AS id,
       c.ghxh AS patient_id,
       '1' AS activity_type_code,
       c.ghxh AS serial_number,
       c.cfxh AS prescription_no,
       c.kfsj AS prescription_issuance_date,
       c.ysdm AS prescription_issuance_id,
       g.ksdm AS dept_code,
       c.ysdm AS operator_id,
       c.kfsj AS operation_time,
       '0' AS invalid_flag,
       d.ypdm AS ypdm,
       c.zfbz AS zfbz,
       c.xgsj AS xgsj
FROM cf_cfzb c
JOIN cf_cfmx d ON d.cfxh = c.cfxh
JOIN gh_mzgh g ON g.ghxh = c.ghxh
WHERE c.xgsj >= :since AND c.xgsj <= :until
ORDER BY c.xgsj, c.cfxh
