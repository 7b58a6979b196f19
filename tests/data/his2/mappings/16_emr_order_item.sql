-- 处方明细：按药品目录筛选并换成标准药品代码；随主表作废。
-- table: emr_order_item
-- key: id
-- watermark: xgsj
-- delete_flag: zfbz
-- drugs: drug_code
-- codes: drug_dosage_unit_code=drug_dosage_unit
SELECT d.mxxh AS id,
       d.cfxh AS order_id,
       d.ypdm AS drug_code,
       d.ypmc AS drug_name,
       d.jl AS drug_dosage_code,
       d.jldw AS drug_dosage_unit_code,
       d.sl AS drug_dosage_total,
       c.ysdm AS operator_id,
       c.kfsj AS operation_time,
       '0' AS invalid_flag,
       c.zfbz AS zfbz,
       GREATEST(c.xgsj, d.xgsj) AS xgsj
FROM cf_cfmx d
JOIN cf_cfzb c ON c.cfxh = d.cfxh
WHERE GREATEST(c.xgsj, d.xgsj) >= :since AND GREATEST(c.xgsj, d.xgsj) <= :until
ORDER BY xgsj, d.mxxh
